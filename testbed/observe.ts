// What the suite reads back from the cluster and from Phalanx, decoded here independently of the
// product code: the decision annotation on bound pods, /debug/ledger, and the usage both imply.
import type { CoreV1Api, CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { waitFor } from './wait.js';

export const GPU_DEVICES = 'phalanx.dev/gpu-devices';
export const PLACEMENT_LEVEL = 'phalanx.dev/placement-level';
const MILLI_PER_GPU = 1000;

/** One device share named by a decision annotation. */
export interface DeviceShare {
  readonly index: number;
  readonly milli: number;
}

/** "0,1,2,3" → four whole devices; "3:500m" (optionally "/20Gi") → half of device 3. */
export function parseGpuDevices(value: string): DeviceShare[] {
  return value.split(',').map((part) => {
    const match = /^(\d+)(?::(\d+)m)?(?:\/[0-9A-Za-z]+)?$/.exec(part.trim());
    if (!match) throw new Error(`unexpected ${GPU_DEVICES} entry ${JSON.stringify(part)} in ${value}`);
    return { index: Number(match[1]), milli: match[2] === undefined ? MILLI_PER_GPU : Number(match[2]) };
  });
}

export interface BoundGpuPod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly devices: DeviceShare[];
  readonly pod: V1Pod;
}

function holdsDevices(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** Every pod in the cluster that is bound, not terminal, and carries a decision annotation. */
export async function boundGpuPods(core: CoreV1Api): Promise<BoundGpuPod[]> {
  const pods = (await core.listPodForAllNamespaces()).items;
  const bound: BoundGpuPod[] = [];
  for (const pod of pods) {
    const value = pod.metadata?.annotations?.[GPU_DEVICES];
    const node = pod.spec?.nodeName;
    if (value === undefined || !node || !holdsDevices(pod)) continue;
    bound.push({
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      node,
      devices: parseGpuDevices(value),
      pod,
    });
  }
  return bound;
}

/** node → device index → milli-GPU in use. */
export type Usage = Map<string, Map<number, number>>;

export function usageOfPods(pods: readonly BoundGpuPod[]): Usage {
  const usage: Usage = new Map();
  for (const pod of pods) {
    const node = usage.get(pod.node) ?? new Map<number, number>();
    usage.set(pod.node, node);
    for (const d of pod.devices) node.set(d.index, (node.get(d.index) ?? 0) + d.milli);
  }
  return usage;
}

export interface LedgerView {
  readonly totals: { capacityMilli: number; usedMilli: number; committedMilli: number };
  readonly nodes: Record<string, { index: number; mode: string; usedMilli: number }[]>;
  readonly holdings: { uid: string; state: string; node: string }[];
}

export async function fetchLedger(adminUrl: string): Promise<LedgerView> {
  const res = await fetch(`${adminUrl}/debug/ledger`);
  if (res.status !== 200) throw new Error(`/debug/ledger answered ${res.status}`);
  return (await res.json()) as LedgerView;
}

export function usageOfLedger(ledger: LedgerView): Usage {
  const usage: Usage = new Map();
  for (const [node, devices] of Object.entries(ledger.nodes)) {
    for (const d of devices) {
      if (d.usedMilli === 0) continue;
      const map = usage.get(node) ?? new Map<number, number>();
      usage.set(node, map);
      map.set(d.index, d.usedMilli);
    }
  }
  return usage;
}

function flatten(usage: Usage): Map<string, number> {
  const flat = new Map<string, number>();
  for (const [node, devices] of usage) {
    for (const [index, milli] of devices) if (milli !== 0) flat.set(`${node}/${index}`, milli);
  }
  return flat;
}

/** The differences between two usages, as readable lines (empty when they agree exactly). */
export function usageDifferences(expected: Usage, actual: Usage): string[] {
  const a = flatten(expected);
  const b = flatten(actual);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => `${k}: pods say ${a.get(k) ?? 0}m, ledger says ${b.get(k) ?? 0}m`);
}

/** Devices used beyond one GPU, or devices a node does not have (per its allocatable nvidia.com/gpu). */
export function capacityViolations(usage: Usage, gpusPerNode: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const [node, devices] of usage) {
    const gpus = gpusPerNode.get(node);
    for (const [index, milli] of devices) {
      if (milli > MILLI_PER_GPU) problems.push(`${node}/${index} holds ${milli}m > 1000m`);
      if (gpus === undefined || index >= gpus) problems.push(`${node}/${index}: node has ${gpus ?? 0} GPUs`);
    }
  }
  return problems;
}

/** Node name → allocatable nvidia.com/gpu, as the API server reports it. */
export async function gpusPerNode(core: CoreV1Api): Promise<Map<string, number>> {
  const nodes = (await core.listNode()).items;
  return new Map(
    nodes.map((n) => [n.metadata?.name ?? '', Number(n.status?.allocatable?.['nvidia.com/gpu'] ?? '0')]),
  );
}

export async function podsWithLabel(core: CoreV1Api, namespace: string, selector: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
}

export const isRunning = (p: V1Pod): boolean => p.status?.phase === 'Running';
export const isBound = (p: V1Pod): boolean => !!p.spec?.nodeName;

/** Events about one pod, newest last. */
export async function podEvents(core: CoreV1Api, namespace: string, pod: string): Promise<CoreV1Event[]> {
  const events = (await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${pod}` }))
    .items;
  return events.sort((a, b) => Number(a.lastTimestamp ?? 0) - Number(b.lastTimestamp ?? 0));
}

/** Waits until Phalanx's ledger holds nothing: each scenario starts after the previous one's pods are gone. */
export async function waitForEmptyLedger(adminUrl: string): Promise<void> {
  await waitFor(
    'an empty ledger',
    async () => ((await fetchLedger(adminUrl)).totals.usedMilli === 0 ? true : undefined),
    { timeoutMs: 60_000 },
  );
}
