// The units preemption chooses among: a pod on its own, or a whole gang (every member, wherever it
// runs, since a gang is evicted whole or not at all). Each unit knows what it frees on the node, what
// it costs (pods evicted, their priorities) and whether it may be evicted at all.
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
}

/** A gang member bound to another node: evicted with its gang, freeing nothing on this node. */
export interface RemoteMember {
  readonly uid: string;
  readonly node: string;
  readonly priority: number;
}

export interface VictimUnit {
  /** The gang key, or the pod UID for a pod outside any gang. */
  readonly key: string;
  readonly members: readonly VictimCandidate[];
  readonly remote: readonly RemoteMember[];
  /** Holdings freed on this node when the unit goes. */
  readonly holdings: readonly Assignment[];
  readonly cost: VictimCost;
  /** False when some member has a priority at or above the preemptor's, or it is the preemptor's gang. */
  readonly eligible: boolean;
}

/** Ordered lexicographically: highest priority evicted, then pods evicted, then priority sum. */
export interface VictimCost {
  readonly highestPriority: number;
  readonly pods: number;
  readonly prioritySum: number;
}

export const NO_COST: VictimCost = Object.freeze({ highestPriority: -Infinity, pods: 0, prioritySum: 0 });

export function compareCost(a: VictimCost, b: VictimCost): number {
  if (a.highestPriority !== b.highestPriority) return a.highestPriority < b.highestPriority ? -1 : 1;
  if (a.pods !== b.pods) return a.pods - b.pods;
  return a.prioritySum - b.prioritySum;
}

export function addCost(a: VictimCost, b: VictimCost): VictimCost {
  return {
    highestPriority: Math.max(a.highestPriority, b.highestPriority),
    pods: a.pods + b.pods,
    prioritySum: a.prioritySum + b.prioritySum,
  };
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
    const priorities = [...members.map((m) => m.priority), ...remote.map((r) => r.priority)];
    const cost: VictimCost = {
      highestPriority: Math.max(...priorities),
      pods: priorities.length,
      prioritySum: priorities.reduce((a, b) => a + b, 0),
    };
    const ownGang = isGang && key === opts.preemptorGangKey;
    units.push({
      key,
      members,
      remote,
      holdings: members.flatMap((m) => (m.assignment === undefined ? [] : [m.assignment])),
      cost,
      eligible: !ownGang && cost.highestPriority < opts.preemptorPriority,
    });
  }
  return units.sort((a, b) => compareCost(a.cost, b.cost) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
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
