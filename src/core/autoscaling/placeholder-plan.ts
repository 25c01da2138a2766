// Waiting demand → placeholder pods an autoscaler understands: each asks for whole nvidia.com/gpu
// with the node constraints of the pods it stands for, so cluster-autoscaler's and Karpenter's
// simulation picks the pool that would also fit the real pods.
// - Shares with the same constraints are packed onto whole GPUs (first fit, largest first), since a
//   share never spans devices: two 0.5 pods make one GPU, three 0.6 pods make three. A share with a
//   memory amount takes at least its memory's part of the device (on the smallest device its
//   constraints allow; a whole one when no such device is known yet).
// - A gang gets one placeholder per waiting member, sized like it (fractional members packed as
//   above), all carrying the gang's unit label and, with a required level, a required pod affinity
//   on that level's label among themselves: together they land in one domain or not at all. Bound
//   members pin the domain by nodeSelector. Without a required level, a whole-GPU member that
//   kube-scheduler marked Unschedulable gets no placeholder: it requests nvidia.com/gpu itself and
//   autoscalers count it already (a member Phalanx refused is marked SchedulerError, which they do
//   not read, so it gets one). With a level they may count such members too, as single pods: the
//   placeholders add what they miss, one domain for all, at the price of a possible over-provision
//   that the autoscaler's scale-down returns; ProvisioningRequest mode avoids it.
// - A unit gets all of its placeholders or none (half a gang would scale the wrong thing); units are
//   taken oldest first until `maxPlaceholders`.
import type { NodeShape, StringMap } from '../kube-shapes.js';
import { firstUntoleratedTaint } from '../eligibility/taints.js';
import { matchesNodeSelector, matchesRequiredNodeAffinity } from '../eligibility/node-selection.js';
import { NodeLabel } from '../names.js';
import { MILLI_PER_GPU } from '../types.js';
import { shortHash } from '../short-hash.js';
import { canonicalJson, placeholderName, unitId } from './placeholder-names.js';
import type { DemandUnit, NodeConstraints, WaitingPod } from './waiting-demand.js';

export type PlaceholderKind = DemandUnit['kind'];

export interface PlaceholderSpec {
  readonly name: string;
  /** The unit id (label value shared by the unit's placeholders). */
  readonly unit: string;
  readonly kind: PlaceholderKind;
  readonly gpus: number;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  readonly constraints: NodeConstraints;
  /** Required pod affinity among the unit's placeholders on this node label. */
  readonly colocateKey?: string;
  /** Which pods it stands for, for people reading the pod. */
  readonly demand: string;
  /** The waiting pods it stands for ("<namespace>/<name>"); not part of the hash. */
  readonly forPods: readonly string[];
  /** Hash of all of the above but the name: a change means the placeholder is replaced. */
  readonly specHash: string;
}

export interface PlanOptions {
  /** Most placeholders in total. */
  readonly maxPlaceholders: number;
  /** Memory (bytes) of the smallest GPU a pod with these constraints may use, when known. */
  readonly deviceMemoryBytes: (constraints: NodeConstraints) => number | undefined;
  /**
   * Domains (values of the gang's level label) a gang unit's placeholders must avoid: where they got
   * stuck half placed before (placeholder-reconcile.ts). By unit id.
   */
  readonly avoidDomains?: (unit: string) => readonly string[];
}

export interface PlaceholderPlan {
  readonly specs: PlaceholderSpec[];
  /** Whole GPUs the placed units stand for, per kind. */
  readonly gpus: Readonly<Record<PlaceholderKind, number>>;
  /** Units left out because the bound was reached. */
  readonly unitsOverLimit: number;
}

/** The part of one GPU a share occupies (1..1000 milli). */
export function shareMilli(pod: WaitingPod, deviceMemoryBytes: number | undefined): number {
  const gpu = pod.gpu;
  if (gpu.kind === 'whole') return MILLI_PER_GPU;
  const memory = gpu.memoryBytes;
  const compute = gpu.kind === 'fraction' ? gpu.milli : 0;
  if (memory === undefined) return compute;
  if (deviceMemoryBytes === undefined || deviceMemoryBytes <= 0) return MILLI_PER_GPU;
  const byMemory = Math.ceil((MILLI_PER_GPU * memory) / deviceMemoryBytes);
  return Math.min(MILLI_PER_GPU, Math.max(compute, byMemory, 1));
}

interface Bin {
  milli: number;
  readonly pods: WaitingPod[];
}

/** First fit decreasing onto whole GPUs; stable for equal sizes (input order). */
export function packShares(items: readonly { pod: WaitingPod; milli: number }[]): WaitingPod[][] {
  const sorted = items.map((item, i) => ({ ...item, i })).sort((a, b) => b.milli - a.milli || a.i - b.i);
  const bins: Bin[] = [];
  for (const item of sorted) {
    const bin = bins.find((b) => b.milli + item.milli <= MILLI_PER_GPU);
    if (bin !== undefined) {
      bin.milli += item.milli;
      bin.pods.push(item.pod);
    } else bins.push({ milli: item.milli, pods: [item.pod] });
  }
  return bins.map((b) => b.pods);
}

interface Draft {
  readonly gpus: number;
  readonly pods: readonly WaitingPod[];
  readonly constraints: NodeConstraints;
}

function shareDrafts(pods: readonly WaitingPod[], opts: PlanOptions): Draft[] {
  const byConstraints = new Map<string, WaitingPod[]>();
  for (const pod of pods) {
    const key = pod.constraintsKey;
    const group = byConstraints.get(key);
    if (group !== undefined) group.push(pod);
    else byConstraints.set(key, [pod]);
  }
  const drafts: Draft[] = [];
  for (const group of byConstraints.values()) {
    const constraints = (group[0] as WaitingPod).constraints;
    const memory = opts.deviceMemoryBytes(constraints);
    const bins = packShares(group.map((pod) => ({ pod, milli: shareMilli(pod, memory) })));
    for (const bin of bins) drafts.push({ gpus: 1, pods: bin, constraints });
  }
  return drafts;
}

function unitDrafts(unit: DemandUnit, opts: PlanOptions): Draft[] {
  if (unit.kind === 'shares') return shareDrafts(unit.pods, opts);
  const whole: Draft[] = [];
  const shares: WaitingPod[] = [];
  for (const pod of unit.pods) {
    if (pod.gpu.kind !== 'whole') shares.push(pod);
    // Without a level to share, a whole-GPU member autoscalers already count needs no placeholder.
    else if (unit.colocateKey !== undefined || !pod.visible)
      whole.push({ gpus: pod.gpu.count, pods: [pod], constraints: pod.constraints });
  }
  const pinned = unit.pinned;
  return [...whole, ...shareDrafts(shares, opts)].map((d) =>
    pinned === undefined
      ? d
      : {
          ...d,
          constraints: {
            ...d.constraints,
            nodeSelector: { ...d.constraints.nodeSelector, [pinned.key]: pinned.value },
          },
        },
  );
}

function describe(unit: DemandUnit, pods: readonly WaitingPod[]): string {
  const names = pods.map((p) => p.pod);
  const shown =
    names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
  return unit.kind === 'gang' ? `gang ${unit.gang.key}: ${shown}` : `GPU shares of ${shown}`;
}

export function planPlaceholders(units: readonly DemandUnit[], opts: PlanOptions): PlaceholderPlan {
  const specs: PlaceholderSpec[] = [];
  const gpus: Record<PlaceholderKind, number> = { gang: 0, shares: 0 };
  let unitsOverLimit = 0;
  for (const unit of units) {
    const drafts = unitDrafts(unit, opts);
    if (drafts.length === 0) continue;
    if (specs.length + drafts.length > opts.maxPlaceholders) {
      unitsOverLimit += 1;
      continue;
    }
    const id = unitId(`${unit.kind}:${unit.key}`);
    const colocateKey = unit.kind === 'gang' ? unit.colocateKey : undefined;
    const avoid = colocateKey === undefined ? [] : (opts.avoidDomains?.(id) ?? []);
    drafts.forEach((draft, index) => {
      const cpuMilli = draft.pods.reduce((sum, p) => sum + p.cpuMilli, 0);
      const memoryBytes = draft.pods.reduce((sum, p) => sum + p.memoryBytes, 0);
      const body = {
        kind: unit.kind,
        unit: id,
        gpus: draft.gpus,
        cpuMilli,
        memoryBytes,
        constraints:
          colocateKey !== undefined && avoid.length > 0
            ? outsideDomains(draft.constraints, colocateKey, avoid)
            : draft.constraints,
        ...(colocateKey !== undefined ? { colocateKey } : {}),
      };
      specs.push({
        ...body,
        name: placeholderName(id, index),
        demand: describe(unit, draft.pods),
        forPods: draft.pods.map((p) => p.pod),
        specHash: shortHash(canonicalJson(body)),
      });
      gpus[unit.kind] += draft.gpus;
    });
  }
  return { specs, gpus, unitsOverLimit };
}

/** The constraints plus "not in these domains" (ANDed into every required node-affinity term). */
export function outsideDomains(c: NodeConstraints, key: string, values: readonly string[]): NodeConstraints {
  const notIn = { key, operator: 'NotIn', values: [...values].sort() };
  const terms = c.nodeAffinityTerms ?? [{}];
  return {
    ...c,
    nodeAffinityTerms: terms.map((t) => ({ ...t, matchExpressions: [...(t.matchExpressions ?? []), notIn] })),
  };
}

/** GPU memory label of a node in bytes, when present and sane. */
function nodeDeviceMemory(labels: StringMap | undefined): number | undefined {
  const mib = Number(labels?.[NodeLabel.gpuMemory]);
  return Number.isInteger(mib) && mib > 0 ? mib * 1024 * 1024 : undefined;
}

/**
 * The smallest GPU memory among nodes with GPUs that a pod with these constraints may use (selector,
 * required affinity, taints): what a memory-bound share is sized against. Undefined when none is known.
 */
export function smallestDeviceMemory(
  constraints: NodeConstraints,
  nodes: Iterable<NodeShape>,
): number | undefined {
  const probe = {
    spec: {
      ...(constraints.nodeSelector !== undefined ? { nodeSelector: constraints.nodeSelector } : {}),
      ...(constraints.nodeAffinityTerms !== undefined
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: constraints.nodeAffinityTerms,
                },
              },
            },
          }
        : {}),
      ...(constraints.tolerations !== undefined ? { tolerations: constraints.tolerations } : {}),
    },
  };
  let smallest: number | undefined;
  for (const node of nodes) {
    const memory = nodeDeviceMemory(node.metadata?.labels);
    if (memory === undefined) continue;
    if (!matchesNodeSelector(probe, node) || !matchesRequiredNodeAffinity(probe, node)) continue;
    if (firstUntoleratedTaint(probe, node) !== undefined) continue;
    smallest = smallest === undefined ? memory : Math.min(smallest, memory);
  }
  return smallest;
}
