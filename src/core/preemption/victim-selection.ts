// Which pods to evict from one node so a GPU pod fits there, the way the GPU sees it: shares freed on
// the one device the pod will use, or whole devices freed (preferring one NVLink island), gangs evicted
// whole (their members on other nodes reported), only pods of lower priority than the preemptor's.
// The chosen set is the cheapest by (highest priority evicted, pods evicted, priority sum) when the
// exact search finishes within its budget, and always minimal: no unit in it can be spared.
import { candidateAssignments, explainNoFit } from '../ledger/device-fit.js';
import type { DeviceState, NodeGpuState, PodDemand } from '../types.js';
import { nodeStateWithout } from './freed-state.js';
import {
  NO_COST,
  addCost,
  buildUnits,
  compareCost,
  costOf,
  freedOn,
  type UnitOptions,
  type VictimCandidate,
  type VictimCost,
  type VictimSet,
  type VictimUnit,
  victimSet,
} from './victim-units.js';

export interface VictimQuery extends UnitOptions {
  readonly demand: PodDemand;
  readonly node: NodeGpuState;
  /** Every pod bound to the node (those holding no GPU here are ignored unless in a gang). */
  readonly pods: readonly VictimCandidate[];
  /** Search steps before settling for a greedy (still minimal) choice. */
  readonly searchBudget?: number;
}

export type VictimChoice =
  /** The pod fits without evicting anything. */
  | { readonly kind: 'fits' }
  /** No set of evictable pods makes the pod fit. */
  | { readonly kind: 'cannot-help'; readonly reason: string }
  | ({ readonly kind: 'victims' } & VictimSet);

const DEFAULT_BUDGET = 20_000;

export function selectVictims(q: VictimQuery): VictimChoice {
  const { node, demand } = q;
  if (candidateAssignments(node, demand).length > 0) return { kind: 'fits' };
  const eligible = buildUnits(q.pods, q).filter((u) => u.eligible);
  const everything = nodeStateWithout(
    node,
    eligible.flatMap((u) => u.holdings),
  );
  if (candidateAssignments(everything, demand).length === 0) {
    const why = explainNoFit(everything, demand) || `pod does not fit on node ${node.inventory.name}`;
    return { kind: 'cannot-help', reason: `even after evicting every lower-priority pod: ${why}` };
  }
  const budget = { left: q.searchBudget ?? DEFAULT_BUDGET };
  const found =
    demand.gpu.kind === 'whole'
      ? wholeDevices(node, demand, eligible, demand.gpu.count, budget)
      : oneDevice(node, demand, eligible, budget);
  return { kind: 'victims', ...victimSet(prune(node, demand, found ?? greedy(node, demand, eligible))) };
}

function fits(node: NodeGpuState, demand: PodDemand, units: readonly VictimUnit[]): boolean {
  return (
    candidateAssignments(
      nodeStateWithout(
        node,
        units.flatMap((u) => u.holdings),
      ),
      demand,
    ).length > 0
  );
}

/** Drops units the pod does not need, costliest first, so every unit left is necessary. */
function prune(node: NodeGpuState, demand: PodDemand, units: readonly VictimUnit[]): VictimUnit[] {
  const kept = [...units].sort((a, b) => compareCost(a.cost, b.cost));
  for (let i = kept.length - 1; i >= 0; i -= 1) {
    const without = kept.filter((_, j) => j !== i);
    if (fits(node, demand, without)) kept.splice(i, 1);
  }
  return kept;
}

/** Cheapest units first until the pod fits; the caller prunes. */
function greedy(node: NodeGpuState, demand: PodDemand, eligible: readonly VictimUnit[]): VictimUnit[] {
  const chosen: VictimUnit[] = [];
  for (const unit of eligible) {
    chosen.push(unit);
    if (fits(node, demand, chosen)) break;
  }
  return chosen;
}

/**
 * A share of one device (fraction or memory): for each device, a branch-and-bound over the units
 * holding shares on it. Any set that makes the pod fit makes some device fit, and only the units on
 * that device matter for it, so the per-device optima contain the overall optimum.
 */
function oneDevice(
  node: NodeGpuState,
  demand: PodDemand,
  eligible: readonly VictimUnit[],
  budget: { left: number },
): VictimUnit[] | undefined {
  let best: { units: VictimUnit[]; cost: VictimCost } | undefined;
  for (const device of node.devices) {
    const onDevice = eligible
      .map((unit) => ({ unit, freed: freedOn(unit, device.index) }))
      .filter((x) => x.freed.milli > 0);
    const fitsWith = (chosen: readonly { freed: ReturnType<typeof freedOn> }[]): boolean =>
      deviceFits(node, device, demand, chosen);
    if (!fitsWith(onDevice)) continue;
    const chosen: typeof onDevice = [];
    const search = (i: number, cost: VictimCost): void => {
      if (budget.left <= 0) return;
      budget.left -= 1;
      if (best !== undefined && compareCost(cost, best.cost) >= 0) return;
      if (fitsWith(chosen)) {
        best = { units: chosen.map((x) => x.unit), cost };
        return;
      }
      if (i >= onDevice.length || !fitsWith([...chosen, ...onDevice.slice(i)])) return;
      const next = onDevice[i];
      if (next === undefined) return;
      chosen.push(next);
      search(i + 1, addCost(cost, next.unit.cost));
      chosen.pop();
      search(i + 1, cost);
    };
    search(0, NO_COST);
  }
  return best?.units;
}

function deviceFits(
  node: NodeGpuState,
  device: DeviceState,
  demand: PodDemand,
  chosen: readonly { freed: { milli: number; memoryBytes: number; whole: boolean } }[],
): boolean {
  let milli = 0;
  let memoryBytes = 0;
  for (const x of chosen) {
    milli += x.freed.milli;
    memoryBytes += x.freed.whole ? device.memoryBytes : x.freed.memoryBytes;
  }
  const usedMilli = Math.max(0, device.usedMilli - milli);
  const after: DeviceState = {
    ...device,
    usedMilli,
    usedMemoryBytes: Math.max(0, device.usedMemoryBytes - memoryBytes),
    mode: usedMilli === 0 ? 'free' : device.mode,
  };
  return candidateAssignments({ ...node, devices: [after] }, demand).length > 0;
}

/**
 * Whole devices: every k-subset of the devices that can be emptied, costed by the union of the
 * units holding them. Any fitting set empties some k devices, so this holds the optimum. Among equal
 * costs, a set that leaves k free devices inside one NVLink island wins.
 */
function wholeDevices(
  node: NodeGpuState,
  demand: PodDemand,
  eligible: readonly VictimUnit[],
  count: number,
  budget: { left: number },
): VictimUnit[] | undefined {
  const clearable: { index: number; holders: VictimUnit[] }[] = [];
  for (const device of node.devices) {
    const holders = eligible.filter((u) => freedOn(u, device.index).milli > 0);
    const freed = holders.reduce((sum, u) => sum + freedOn(u, device.index).milli, 0);
    if (freed >= device.usedMilli) clearable.push({ index: device.index, holders });
  }
  let best: { units: VictimUnit[]; cost: VictimCost; local: boolean } | undefined;
  for (const combo of combinations(clearable.length, count)) {
    if (budget.left <= 0) break;
    budget.left -= 1;
    const units = [...new Set(combo.flatMap((i) => clearable[i]?.holders ?? []))];
    const cost = costOf(units);
    const order = best === undefined ? -1 : compareCost(cost, best.cost);
    if (order > 0) continue;
    const after = nodeStateWithout(
      node,
      units.flatMap((u) => u.holdings),
    );
    if (candidateAssignments(after, demand).length === 0) continue;
    const local = hasIslandWith(after, count);
    if (order < 0 || (best !== undefined && local && !best.local)) best = { units, cost, local };
  }
  return best?.units;
}

function hasIslandWith(node: NodeGpuState, count: number): boolean {
  const free = new Set(node.devices.filter((d) => d.mode === 'free').map((d) => d.index));
  const islands = node.inventory.islands.length > 0 ? node.inventory.islands : [[...free]];
  return islands.some((island) => island.filter((i) => free.has(i)).length >= count);
}

/** k-subsets of 0..n-1 in lexicographic order. */
function* combinations(n: number, k: number): Generator<number[]> {
  if (k > n || k <= 0) return;
  const idx = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield [...idx];
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i -= 1;
    if (i < 0) return;
    idx[i] = (idx[i] ?? 0) + 1;
    for (let j = i + 1; j < k; j += 1) idx[j] = (idx[j - 1] ?? 0) + 1;
  }
}
