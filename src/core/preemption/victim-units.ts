// The units preemption chooses among: a pod on its own, or a whole gang (every member, wherever it
// runs, since a gang is evicted whole or not at all). Each unit knows what it frees where it is
// evaluated (one node, or every node of a domain), what it costs (the highest priority evicted, then
// GPUs, then pods, then age: the youngest go first) and whether it may be evicted at all.
import type { Assignment } from '../types.js';

/** A pod running on the node preemption is evaluated for. */
export interface VictimCandidate {
  readonly uid: string;
  /** spec.priority (0 when unset). */
  readonly priority: number;
  /** The GPU share the ledger counts for this pod on this node; absent when it holds none here. */
  readonly assignment?: Assignment;
  /** "<namespace>/<pod-group>" when the pod belongs to a gang. */
  readonly gangKey?: string;
  /** metadata.creationTimestamp in ms; younger pods are evicted first among equals (absent = oldest). */
  readonly createdAtMs?: number;
  /** Why this pod may never be a victim here (another scheduler's, Kueue's); its unit is ineligible. */
  readonly protectedBy?: string;
}

/** A gang member bound to another node: evicted with its gang, freeing nothing on this node. */
export interface RemoteMember {
  readonly uid: string;
  readonly node: string;
  readonly priority: number;
  /** GPUs the member holds on its node (counted in the gang's cost). */
  readonly gpus?: number;
  readonly createdAtMs?: number;
  readonly protectedBy?: string;
}

export interface VictimUnit {
  /** The gang key, or the pod UID for a pod outside any gang. */
  readonly key: string;
  readonly members: readonly VictimCandidate[];
  readonly remote: readonly RemoteMember[];
  /** Holdings freed on this node when the unit goes. */
  readonly holdings: readonly Assignment[];
  readonly cost: VictimCost;
  /**
   * False when some member has a priority at or above the preemptor's, is protected, or it is the
   * preemptor's gang.
   */
  readonly eligible: boolean;
  /** Why an ineligible unit may not be evicted. */
  readonly ineligibleBecause?: string;
}

/**
 * Ordered lexicographically: highest priority evicted, then GPUs disturbed (devices held, a share
 * counting its device), then pods evicted, then priority sum, then age: the set whose oldest pod is
 * youngest costs least (less work lost).
 */
export interface VictimCost {
  readonly highestPriority: number;
  readonly gpus: number;
  readonly pods: number;
  readonly prioritySum: number;
  /** Creation time of the oldest pod in the set (Infinity for the empty set). */
  readonly oldestCreatedMs: number;
}

export const NO_COST: VictimCost = Object.freeze({
  highestPriority: -Infinity,
  gpus: 0,
  pods: 0,
  prioritySum: 0,
  oldestCreatedMs: Infinity,
});

export function compareCost(a: VictimCost, b: VictimCost): number {
  if (a.highestPriority !== b.highestPriority) return a.highestPriority < b.highestPriority ? -1 : 1;
  if (a.gpus !== b.gpus) return a.gpus - b.gpus;
  if (a.pods !== b.pods) return a.pods - b.pods;
  if (a.prioritySum !== b.prioritySum) return a.prioritySum - b.prioritySum;
  if (a.oldestCreatedMs === b.oldestCreatedMs) return 0;
  return a.oldestCreatedMs > b.oldestCreatedMs ? -1 : 1;
}

export function addCost(a: VictimCost, b: VictimCost): VictimCost {
  return {
    highestPriority: Math.max(a.highestPriority, b.highestPriority),
    gpus: a.gpus + b.gpus,
    pods: a.pods + b.pods,
    prioritySum: a.prioritySum + b.prioritySum,
    oldestCreatedMs: Math.min(a.oldestCreatedMs, b.oldestCreatedMs),
  };
}

/** The cost of evicting one pod. */
export function podCost(priority: number, gpus: number, createdAtMs: number | undefined): VictimCost {
  return {
    highestPriority: priority,
    gpus,
    pods: 1,
    prioritySum: priority,
    oldestCreatedMs: createdAtMs ?? 0,
  };
}

/** GPUs an assignment disturbs: its devices, a share counting as the device it runs on. */
export function assignmentDevices(a: Assignment | undefined): number {
  return a === undefined ? 0 : a.devices.length;
}

export function costOf(units: readonly VictimUnit[]): VictimCost {
  return units.reduce((sum, u) => addCost(sum, u.cost), NO_COST);
}

export interface UnitOptions {
  readonly preemptorPriority: number;
  readonly preemptorGangKey?: string | undefined;
  /** Gang members on other nodes, by gang key. */
  readonly remoteMembers?: ReadonlyMap<string, readonly RemoteMember[]> | undefined;
}

/**
 * Groups the node's pods into units. Pods that hold no GPU here and belong to no gang are left out:
 * evicting them never frees a GPU. A gang is one unit even if only a CPU member runs here, since its
 * GPU members elsewhere on the node come with it.
 */
export function buildUnits(pods: readonly VictimCandidate[], opts: UnitOptions): VictimUnit[] {
  const groups = new Map<string, VictimCandidate[]>();
  for (const pod of pods) {
    if (pod.gangKey === undefined && pod.assignment === undefined) continue;
    const key = pod.gangKey ?? pod.uid;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [pod]);
    else group.push(pod);
  }
  const units: VictimUnit[] = [];
  for (const [key, members] of groups) {
    const isGang = members[0]?.gangKey !== undefined;
    const onNode = new Set(members.map((m) => m.uid));
    const remote = isGang ? (opts.remoteMembers?.get(key) ?? []).filter((r) => !onNode.has(r.uid)) : [];
    const cost = [
      ...members.map((m) => podCost(m.priority, assignmentDevices(m.assignment), m.createdAtMs)),
      ...remote.map((r) => podCost(r.priority, r.gpus ?? 0, r.createdAtMs)),
    ].reduce(addCost, NO_COST);
    const ownGang = isGang && key === opts.preemptorGangKey;
    const shielded = [...members, ...remote].find((m) => m.protectedBy !== undefined)?.protectedBy;
    const why = ownGang
      ? "the preemptor's own gang"
      : cost.highestPriority >= opts.preemptorPriority
        ? `priority ${cost.highestPriority} is not below the preemptor's ${opts.preemptorPriority}`
        : shielded;
    units.push({
      key,
      members,
      remote,
      holdings: members.flatMap((m) => (m.assignment === undefined ? [] : [m.assignment])),
      cost,
      eligible: why === undefined,
      ...(why === undefined ? {} : { ineligibleBecause: why }),
    });
  }
  return units.sort((a, b) => compareCost(a.cost, b.cost) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A chosen set of units, as both the one-node and the domain choice report it. */
export interface VictimSet {
  readonly units: readonly VictimUnit[];
  /** UIDs to evict where the choice was made (the node or the domain), sorted. */
  readonly uids: readonly string[];
  /** Gang members beyond it that go with their gangs. */
  readonly remote: readonly RemoteMember[];
  readonly cost: VictimCost;
}

export function victimSet(units: readonly VictimUnit[]): VictimSet {
  return {
    units,
    uids: units.flatMap((u) => u.members.map((m) => m.uid)).sort(),
    remote: units.flatMap((u) => u.remote),
    cost: costOf(units),
  };
}

/** Milli and memory a unit frees on one device. */
export function freedOn(
  unit: VictimUnit,
  device: number,
): { milli: number; memoryBytes: number; whole: boolean } {
  let milli = 0;
  let memoryBytes = 0;
  let whole = false;
  for (const a of unit.holdings) {
    for (const share of a.devices) {
      if (share.index !== device) continue;
      milli += share.milli;
      memoryBytes += share.memoryBytes;
      whole ||= a.whole;
    }
  }
  return { milli, memoryBytes, whole };
}
