// Which GPU demand waits for room an autoscaler could add, read from the pods alone: fractional pods
// and gangs that Phalanx schedules, that kube-scheduler has marked Unschedulable for a while, and
// that wait for nothing else. Pods held by a scheduling gate wait for admission (Kueue, the gang gate
// before the group is complete), an incomplete gang waits for its members (quota, the controller),
// and a pod with an invalid request never fits anywhere: none of them is demand for new nodes.
// Whole-GPU pods outside gangs are left out: they request nvidia.com/gpu themselves, so autoscalers
// already see them.
import { DemandError } from '../errors.js';
import type { NodeSelectorTermShape, PodShape, StringMap, TolerationShape } from '../kube-shapes.js';
import { NODE_LEVEL, WorkloadApi } from '../names.js';
import { parsePodDemand } from '../pod-demand.js';
import type { GangRef, GpuRequest } from '../types.js';
import { canonicalJson } from './placeholder-names.js';

/** The PodScheduled condition as kube-scheduler writes it. */
export interface PodConditionShape {
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly lastTransitionTime?: string | Date | undefined;
}

/** A pod as the autoscaling model reads it: PodShape plus its status conditions. */
export interface CandidatePod extends PodShape {
  readonly status?:
    | { readonly phase?: string | undefined; readonly conditions?: readonly PodConditionShape[] | undefined }
    | undefined;
}

/** Where a pod may run, as the scheduler and an autoscaler's simulation read it. */
export interface NodeConstraints {
  readonly nodeSelector?: StringMap;
  /** Required node-affinity terms (ORed). */
  readonly nodeAffinityTerms?: readonly NodeSelectorTermShape[];
  readonly tolerations?: readonly TolerationShape[];
}

/** One waiting pod's part of a demand unit. */
export interface WaitingPod {
  /** "<namespace>/<name>". */
  readonly pod: string;
  readonly gpu: Exclude<GpuRequest, { kind: 'none' }>;
  readonly constraints: NodeConstraints;
  /** canonicalConstraints(constraints), computed once. */
  readonly constraintsKey: string;
  /** Autoscalers count this pod as it is (whole GPUs, marked Unschedulable). */
  readonly visible: boolean;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
}

export type DemandUnit =
  | {
      readonly kind: 'shares';
      /** Canonical form of the constraints the shares have in common. */
      readonly key: string;
      readonly constraints: NodeConstraints;
      readonly pods: readonly WaitingPod[];
      /** Earliest time (ms) one of them was found unschedulable. */
      readonly since: number;
    }
  | {
      readonly kind: 'gang';
      readonly key: string;
      readonly gang: GangRef;
      /** The node label every member must share (the required level; `kubernetes.io/hostname` for "node"). */
      readonly colocateKey?: string;
      /** The domain already chosen by bound members: that label must have that value. */
      readonly pinned?: { readonly key: string; readonly value: string };
      /** The members that still wait. */
      readonly pods: readonly WaitingPod[];
      readonly since: number;
    };

export interface WaitingDemandContext {
  readonly now: number;
  /** How long a pod must have been Unschedulable before it counts (the scheduler retries meanwhile). */
  readonly pendingForMs: number;
  /** Phalanx's scheduler name: other pods are not Phalanx's demand. */
  readonly schedulerName: string;
  readonly levels: readonly string[];
  /** Labels of a node, for the domain of a gang's bound members. */
  readonly nodeLabels: (node: string) => StringMap | undefined;
  /** Parses a pod's demand; pass a memo of parseCandidate to parse each pod object once. */
  readonly parse?: (pod: CandidatePod) => ParsedCandidate | undefined;
}

/** Why pods were not counted, for logs and tests. */
export type SkipReason =
  'gated' | 'incomplete-gang' | 'not-unschedulable-long-enough' | 'invalid' | 'unpinnable';

export interface WaitingDemand {
  readonly units: DemandUnit[];
  readonly skipped: ReadonlyMap<SkipReason, number>;
}

function timeOf(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Since when kube-scheduler has said the pod cannot be placed, or undefined. Both reasons count:
 * `Unschedulable` (filters refused every node) and `SchedulerError`, which is how a gang that Phalanx
 * cannot plan waits (the coordinator answers with an error so the gang is retried within seconds,
 * app/gang/gang-coordinator.ts). Autoscalers read only `Unschedulable`, so such a gang is invisible
 * to them without placeholders.
 */
export function unschedulableSince(pod: CandidatePod): number | undefined {
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (cond?.status !== 'False' || (cond.reason !== 'Unschedulable' && cond.reason !== 'SchedulerError'))
    return undefined;
  return timeOf(cond.lastTransitionTime);
}

/** A whole-GPU pod marked Unschedulable is demand autoscalers already see (as a single pod). */
function visibleToAutoscalers(pod: CandidatePod, gpu: GpuRequest): boolean {
  const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  return gpu.kind === 'whole' && cond?.status === 'False' && cond.reason === 'Unschedulable';
}

function isLive(pod: CandidatePod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deleting = pod.metadata?.deletionTimestamp;
  return deleting === undefined || deleting === null;
}

const isBound = (pod: PodShape): boolean => (pod.spec?.nodeName ?? '') !== '';
const isGated = (pod: PodShape): boolean => (pod.spec?.schedulingGates ?? []).length > 0;

export function constraintsOf(pod: PodShape): NodeConstraints {
  const spec = pod.spec;
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const selector = spec?.nodeSelector;
  const tolerations = spec?.tolerations;
  return {
    ...(selector !== undefined && Object.keys(selector).length > 0 ? { nodeSelector: selector } : {}),
    ...(terms !== undefined && terms.length > 0 ? { nodeAffinityTerms: terms } : {}),
    ...(tolerations !== undefined && tolerations.length > 0 ? { tolerations } : {}),
  };
}

/** What one pod contributes, parsed once (see WaitingDemandContext.parse). */
export interface ParsedCandidate {
  readonly pod: CandidatePod;
  readonly ref: string;
  readonly waiting: WaitingPod | undefined;
  readonly gang?: GangRef;
  readonly required?: string;
}

/** The demand units that wait for room, oldest first; pods that do not count are tallied by reason. */
export function waitingDemand(pods: Iterable<CandidatePod>, ctx: WaitingDemandContext): WaitingDemand {
  const skipped = new Map<SkipReason, number>();
  const skip = (reason: SkipReason, count = 1): void => {
    skipped.set(reason, (skipped.get(reason) ?? 0) + count);
  };
  const shares = new Map<string, { constraints: NodeConstraints; pods: WaitingPod[]; since: number }>();
  const gangs = new Map<string, ParsedCandidate[]>();

  for (const pod of pods) {
    if (pod.spec?.schedulerName !== ctx.schedulerName || !isLive(pod)) continue;
    const parsed = ctx.parse !== undefined ? ctx.parse(pod) : parseCandidate(pod, ctx.levels);
    if (parsed === undefined) {
      skip('invalid');
      continue;
    }
    if (parsed.gang !== undefined) {
      const members = gangs.get(parsed.gang.key) ?? [];
      members.push(parsed);
      gangs.set(parsed.gang.key, members);
      continue;
    }
    const waiting = parsed.waiting;
    if (waiting === undefined || waiting.gpu.kind === 'whole' || isBound(pod)) continue;
    if (isGated(pod)) {
      skip('gated');
      continue;
    }
    const since = unschedulableSince(pod);
    if (since === undefined || ctx.now - since < ctx.pendingForMs) {
      skip('not-unschedulable-long-enough');
      continue;
    }
    const key = waiting.constraintsKey;
    const group = shares.get(key) ?? { constraints: waiting.constraints, pods: [], since };
    group.pods.push(waiting);
    group.since = Math.min(group.since, since);
    shares.set(key, group);
  }

  const units: DemandUnit[] = [];
  for (const [key, group] of shares) {
    units.push({
      kind: 'shares',
      key,
      constraints: group.constraints,
      pods: sortByName(group.pods),
      since: group.since,
    });
  }
  for (const [key, members] of gangs) {
    const unit = gangUnit(key, members, ctx, skip);
    if (unit !== undefined) units.push(unit);
  }
  units.sort((a, b) => a.since - b.since || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { units, skipped };
}

/** The pod's demand as the model reads it, or undefined for an invalid request. */
export function parseCandidate(pod: CandidatePod, levels: readonly string[]): ParsedCandidate | undefined {
  const ref = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
  try {
    const demand = parsePodDemand(pod, { levels });
    const gpu = demand.gpu;
    const constraints = constraintsOf(pod);
    const waiting: WaitingPod | undefined =
      gpu.kind === 'none'
        ? undefined
        : {
            pod: ref,
            gpu,
            constraints,
            constraintsKey: canonicalConstraints(constraints),
            visible: visibleToAutoscalers(pod, gpu),
            cpuMilli: demand.cpuMilli ?? 0,
            memoryBytes: demand.memoryBytes ?? 0,
          };
    return {
      pod,
      ref,
      waiting,
      ...(demand.gang !== undefined ? { gang: demand.gang } : {}),
      ...(demand.topology.required !== undefined ? { required: demand.topology.required } : {}),
    };
  } catch (err) {
    if (err instanceof DemandError) return undefined;
    throw err;
  }
}

function gangUnit(
  key: string,
  members: readonly ParsedCandidate[],
  ctx: WaitingDemandContext,
  skip: (reason: SkipReason, count?: number) => void,
): DemandUnit | undefined {
  const gang = (members[0] as ParsedCandidate).gang as GangRef;
  const pending = members.filter((m) => !isBound(m.pod));
  if (pending.length === 0) return undefined;
  if (members.length < gang.size) {
    skip('incomplete-gang', pending.length);
    return undefined;
  }
  if (pending.some((m) => isGated(m.pod))) {
    skip('gated', pending.length);
    return undefined;
  }
  const times = pending.map((m) => unschedulableSince(m.pod)).filter((t): t is number => t !== undefined);
  const since = times.length > 0 ? Math.min(...times) : undefined;
  if (since === undefined || ctx.now - since < ctx.pendingForMs) {
    skip('not-unschedulable-long-enough', pending.length);
    return undefined;
  }
  const level = members.find((m) => m.required !== undefined)?.required;
  const colocateKey =
    level === undefined ? undefined : level === NODE_LEVEL ? WorkloadApi.hostnameLabel : level;
  let pinned: { key: string; value: string } | undefined;
  const anchor = members.find((m) => isBound(m.pod));
  if (colocateKey !== undefined && anchor !== undefined) {
    const node = anchor.pod.spec?.nodeName ?? '';
    const value = ctx.nodeLabels(node)?.[colocateKey] ?? (level === NODE_LEVEL ? node : undefined);
    if (value === undefined) {
      skip('unpinnable', pending.length);
      return undefined;
    }
    pinned = { key: colocateKey, value };
  }
  const pods = pending.map((m) => m.waiting).filter((w): w is WaitingPod => w !== undefined);
  // A gang of CPU-only members waits for something else than GPUs.
  if (pods.length === 0) return undefined;
  return {
    kind: 'gang',
    key,
    gang,
    ...(colocateKey !== undefined ? { colocateKey } : {}),
    ...(pinned !== undefined ? { pinned } : {}),
    pods: sortByName(pods),
    since,
  };
}

function sortByName(pods: WaitingPod[]): WaitingPod[] {
  return pods.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}

/** Equal constraints (whatever the order of their maps and lists) give equal strings. */
export function canonicalConstraints(c: NodeConstraints): string {
  const tolerations = [...(c.tolerations ?? [])].sort((a, b) => {
    const [x, y] = [canonicalJson(a), canonicalJson(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return canonicalJson({
    nodeSelector: c.nodeSelector ?? {},
    nodeAffinityTerms: c.nodeAffinityTerms ?? [],
    tolerations,
  });
}
