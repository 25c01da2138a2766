// A stand-in for the NVIDIA device plugin and the reservation container on KWOK nodes, which run no
// containers and no device plugin. Every fake GPU node has deterministic device UUIDs
// (`GPU-<node>-<index>`). For every bound pod asking for `nvidia.com/gpu` the stand-in does what the
// kubelet's device manager does at admission: it gives the pod free devices of its node (the highest
// free index first, so nothing relies on Phalanx's slot numbers matching), keeps them until the pod
// finishes or goes, and records a refusal when too few are free (the kubelet's
// UnexpectedAdmissionError). For a GPU reservation pod it then runs the real `phalanx reserve` code
// (runReserve, in process) with the environment the container would have: its own env resolved as
// the kubelet would, plus NVIDIA_VISIBLE_DEVICES=<uuid> from the device plugin, and the reservation
// ServiceAccount's credentials — so the UUID reaches the pod exactly as on a real node.
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Pod,
} from '@kubernetes/client-node';
import { join } from 'node:path';
import { runReserve } from '../src/cli/reserve.js';
import { observeReservation } from '../src/core/devices/reservation-pods.js';
import { deployObjects } from './deploy-rbac.js';
import { containerEnv } from './kubelet-env.js';
import { writeServiceAccountKubeconfig } from './sa-kubeconfig.js';

export const RESERVATION_NAMESPACE = 'phalanx-reservations';
export const RESERVATION_SERVICE_ACCOUNT = 'phalanx-reservation';
const GPU = 'nvidia.com/gpu';

/** The UUID the stand-in gives device `index` of `node`. */
export function fakeGpuUuid(node: string, index: number): string {
  return `GPU-${node}-${index}`;
}

/** deploy/reservations as `kubectl apply -k deploy/` ships it (Namespace first), applied as admin. */
export async function applyReservationDeploy(adminKubeconfig: string): Promise<string[]> {
  const objects = (await deployObjects()).filter(
    (o) => o.metadata?.labels?.['app.kubernetes.io/component'] === 'gpu-reservation',
  );
  if (!objects.some((o) => o.kind === 'Namespace')) {
    throw new Error('deploy/ ships no gpu-reservation Namespace (deploy/reservations)');
  }
  const ordered = [
    ...objects.filter((o) => o.kind === 'Namespace'),
    ...objects.filter((o) => o.kind !== 'Namespace'),
  ];
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const object of ordered) {
    await api.patch(object, undefined, undefined, 'phalanx-e2e', true, PatchStrategy.ServerSideApply);
  }
  return ordered.map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`);
}

/** Whole devices a pod asks for (containers summed; init containers by peak), as the kubelet counts. */
export function gpuRequest(pod: V1Pod): number {
  const of = (c: { resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> } }) =>
    Number(c.resources?.limits?.[GPU] ?? c.resources?.requests?.[GPU] ?? 0) || 0;
  const containers = (pod.spec?.containers ?? []).reduce((sum, c) => sum + of(c), 0);
  const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map(of));
  return Math.max(containers, init);
}

export interface Allocation {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly uuids: readonly string[];
  readonly reservation: boolean;
}

export interface AdmissionRefusal {
  readonly pod: string;
  readonly node: string;
  readonly wanted: number;
  readonly free: number;
}

interface Held extends Allocation {
  /** Ends the reservation program (the pod went). */
  readonly stop: () => void;
}

export interface DevicePluginStandIn {
  /** Live allocations by pod UID. */
  allocations(): ReadonlyMap<string, Allocation>;
  /** Pods refused for lack of free devices (each pod once). */
  refusals(): readonly AdmissionRefusal[];
  /** Reservation programs that exited with an error: pod → exit code. */
  failedReservations(): ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

export interface DevicePluginOptions {
  readonly adminKubeconfig: string;
  /** Where to write the reservation ServiceAccount's kubeconfig. */
  readonly stateDir: string;
  readonly intervalMs?: number;
  readonly log?: (line: string) => void;
}

const createdAt = (pod: V1Pod): number => new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
const isFinished = (pod: V1Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** Starts the stand-in: polls pods and nodes until stop(). */
export async function startDevicePlugin(opts: DevicePluginOptions): Promise<DevicePluginStandIn> {
  const kc = new KubeConfig();
  kc.loadFromFile(opts.adminKubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const reservationKubeconfig = join(opts.stateDir, 'phalanx-reservation-sa.kubeconfig');
  await writeServiceAccountKubeconfig({
    adminKubeconfig: opts.adminKubeconfig,
    namespace: RESERVATION_NAMESPACE,
    serviceAccount: RESERVATION_SERVICE_ACCOUNT,
    file: reservationKubeconfig,
  });
  const held = new Map<string, Held>();
  const refused = new Map<string, AdmissionRefusal>();
  const failed = new Map<string, number>();
  const log = opts.log ?? (() => undefined);
  let stopped = false;

  const startReservation = async (pod: V1Pod, uuid: string, stop: Promise<void>): Promise<number> => {
    const container = pod.spec?.containers[0];
    if (container === undefined) return 1;
    // The container's environment: its spec resolved as the kubelet would, plus the device plugin's.
    const env = { ...(await containerEnv(pod, container)), NVIDIA_VISIBLE_DEVICES: uuid };
    return runReserve({ env, kubeconfig: reservationKubeconfig, stop, log });
  };

  const pass = async (): Promise<void> => {
    const [{ items: pods }, { items: nodes }] = await Promise.all([
      core.listPodForAllNamespaces(),
      core.listNode(),
    ]);
    const gpusOf = new Map(
      nodes.map((n) => [n.metadata?.name ?? '', Number(n.status?.allocatable?.[GPU] ?? 0) || 0]),
    );
    const live = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    for (const [uid, h] of held) {
      const pod = live.get(uid);
      if (pod === undefined || isFinished(pod)) {
        held.delete(uid);
        h.stop();
      }
    }
    // Pods in creation order, as the kubelet admits them.
    const candidates = pods
      .filter(
        (p) => p.spec?.nodeName && !isFinished(p) && !held.has(p.metadata?.uid ?? '') && gpuRequest(p) > 0,
      )
      .sort((a, b) => createdAt(a) - createdAt(b));
    for (const pod of candidates) {
      const uid = pod.metadata?.uid ?? '';
      const node = pod.spec?.nodeName ?? '';
      const total = gpusOf.get(node) ?? 0;
      if (total === 0 || refused.has(uid)) continue;
      const taken = new Set([...held.values()].filter((h) => h.node === node).flatMap((h) => h.uuids));
      const free: string[] = [];
      for (let i = total - 1; i >= 0; i--)
        if (!taken.has(fakeGpuUuid(node, i))) free.push(fakeGpuUuid(node, i));
      const wanted = gpuRequest(pod);
      const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
      if (free.length < wanted) {
        refused.set(uid, { pod: key, node, wanted, free: free.length });
        log(`device plugin: ${key} on ${node} wants ${wanted} GPU(s), ${free.length} free: refused`);
        continue;
      }
      const reservation = observeReservation(pod, RESERVATION_NAMESPACE) !== undefined;
      const uuids = free.slice(0, wanted);
      let stopHolding: () => void = () => undefined;
      const stop = new Promise<void>((resolve) => (stopHolding = resolve));
      held.set(uid, {
        namespace: pod.metadata?.namespace ?? '',
        name: pod.metadata?.name ?? '',
        node,
        uuids,
        reservation,
        stop: () => stopHolding(),
      });
      if (reservation && uuids[0] !== undefined) {
        void startReservation(pod, uuids[0], stop).then(
          (code) => {
            if (code !== 0) failed.set(key, code);
          },
          (err: unknown) => {
            failed.set(key, -1);
            log(
              `device plugin: reserve for ${key} threw: ${err instanceof Error ? err.message : String(err)}`,
            );
          },
        );
      }
    }
  };

  const loop = (async () => {
    while (!stopped) {
      await pass().catch((err: unknown) =>
        log(`device plugin: ${err instanceof Error ? err.message : String(err)}`),
      );
      await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 150).unref());
    }
  })();

  return {
    allocations: () => new Map(held),
    refusals: () => [...refused.values()],
    failedReservations: () => new Map(failed),
    async stop() {
      stopped = true;
      await loop;
      for (const h of held.values()) h.stop();
    },
  };
}
