// Which units to evict from one topology domain (an NVLink clique, a rack, a zone) so a whole gang
// fits in it: the same units, costs and pruning as the one-node choice (victim-selection.ts), with the
// fit judged by the caller over every node of the domain (the gang planner's exact packing). First a
// greedy choice (cheapest units until the gang fits, then every unit it can spare dropped); for
// domains of few units a branch and bound then looks for a cheaper set within a step budget. Either
// way the result is minimal: no unit in it can be spared.
import { freeMilliOf } from '../gang/domain-packing.js';
import { MILLI_PER_GPU, type Assignment, type NodeGpuState } from '../types.js';
import { nodeStateWithout } from './freed-state.js';
import {
  NO_COST,
  addCost,
  buildUnits,
  compareCost,
  costOf,
  type UnitOptions,
  type VictimCandidate,
  type VictimCost,
  type VictimSet,
  type VictimUnit,
  victimSet,
} from './victim-units.js';

export interface DomainVictimQuery extends UnitOptions {
  /** The domain's nodes as the ledger has them now. */
  readonly nodes: readonly NodeGpuState[];
  /** Every pod bound to the domain's nodes (the ledger's assignment names the node). */
  readonly pods: readonly VictimCandidate[];
  /** True when the preemptor fits on these node states (the planner's packing). */
  readonly fits: (nodes: readonly NodeGpuState[]) => boolean;
  /** Fit checks before settling for a greedy (still minimal) choice. */
  readonly searchBudget?: number;
  /** Only sets cheaper than this are of interest (another domain already has one this cheap). */
  readonly costBound?: VictimCost;
  /** Run the exact search after the greedy choice (domains of few units only). Default true. */
  readonly exact?: boolean;
  /**
   * GPU milli the preemptor needs in all: a unit whose eviction leaves less free than this is
   * necessary without a packing check.
   */
  readonly needMilli?: number;
}

export type DomainVictimChoice =
  | { readonly kind: 'fits' }
  /** Every set that makes the gang fit costs at least `costBound`. */
  | { readonly kind: 'costlier' }
  | { readonly kind: 'cannot-help'; readonly reason: string }
  | ({
      readonly kind: 'victims';
      /** The domain's nodes once the victims are gone. */
      readonly freed: readonly NodeGpuState[];
    } & VictimSet);

const DEFAULT_BUDGET = 500;

const assignmentMilli = (a: Assignment): number =>
  a.devices.reduce((sum, d) => sum + (a.whole ? MILLI_PER_GPU : d.milli), 0);
/** Domains with more evictable units than this keep the greedy choice (still minimal). */
const EXACT_SEARCH_UNITS = 24;

/** The nodes as they would be once these holdings are gone (each holding names its node). */
export function domainWithout(
  nodes: readonly NodeGpuState[],
  holdings: readonly Assignment[],
): NodeGpuState[] {
  if (holdings.length === 0) return [...nodes];
  const byNode = new Map<string, Assignment[]>();
  for (const h of holdings) {
    const list = byNode.get(h.node);
    if (list === undefined) byNode.set(h.node, [h]);
    else list.push(h);
  }
  return nodes.map((n) => nodeStateWithout(n, byNode.get(n.inventory.name) ?? []));
}

export function selectDomainVictims(q: DomainVictimQuery): DomainVictimChoice {
  if (q.fits(q.nodes)) return { kind: 'fits' };
  const units = buildUnits(q.pods, q);
  const eligible = units.filter((u) => u.eligible);
  const fitsWith = (chosen: readonly VictimUnit[]): boolean =>
    q.fits(
      domainWithout(
        q.nodes,
        chosen.flatMap((u) => u.holdings),
      ),
    );
  if (eligible.length === 0 || !fitsWith(eligible)) {
    const held = units.filter((u) => !u.eligible && u.holdings.length > 0).length;
    const why = held > 0 ? `; ${held} holder(s) may not be evicted` : '';
    return { kind: 'cannot-help', reason: `does not fit even after evicting every evictable pod${why}` };
  }
  // The greedy choice (cheapest units first, pruned) is minimal and bounds the exact search, which
  // runs only over domains with few units: it looks for strictly cheaper sets within its budget.
  const necessary = necessaryByCount(q.nodes, q.needMilli ?? 0);
  const greedyChoice = prune(greedy(eligible, fitsWith), fitsWith, necessary);
  const greedyCost = costOf(greedyChoice);
  const bound =
    q.costBound !== undefined && compareCost(q.costBound, greedyCost) < 0 ? q.costBound : greedyCost;
  const exact =
    q.exact !== false && eligible.length <= EXACT_SEARCH_UNITS
      ? cheapest(eligible, fitsWith, q.searchBudget ?? DEFAULT_BUDGET, bound).found
      : undefined;
  const chosen = exact === undefined ? greedyChoice : prune(exact, fitsWith, necessary);
  if (q.costBound !== undefined && compareCost(costOf(chosen), q.costBound) >= 0) return { kind: 'costlier' };
  return {
    kind: 'victims',
    ...victimSet(chosen),
    freed: domainWithout(
      q.nodes,
      chosen.flatMap((u) => u.holdings),
    ),
  };
}

/**
 * Branch and bound, units in cost order: a branch stops once it costs no less than the best set
 * found (or the bound), or when even all the units left would not make the gang fit. `exhausted`
 * when the budget ran out before the search was complete.
 */
function cheapest(
  units: readonly VictimUnit[],
  fitsWith: (chosen: readonly VictimUnit[]) => boolean,
  budget: number,
  bound: VictimCost | undefined,
): { found: VictimUnit[] | undefined; exhausted: boolean } {
  let left = budget;
  let best: { units: VictimUnit[]; cost: VictimCost } | undefined =
    bound === undefined ? undefined : { units: [], cost: bound };
  let found = false;
  const chosen: VictimUnit[] = [];
  const search = (i: number, cost: VictimCost): void => {
    if (left <= 0) return;
    if (best !== undefined && compareCost(cost, best.cost) >= 0) return;
    left -= 1;
    if (fitsWith(chosen)) {
      best = { units: [...chosen], cost };
      found = true;
      return;
    }
    if (i >= units.length) return;
    left -= 1;
    if (!fitsWith([...chosen, ...units.slice(i)])) return;
    const next = units[i];
    if (next === undefined) return;
    chosen.push(next);
    search(i + 1, addCost(cost, next.cost));
    chosen.pop();
    search(i + 1, cost);
  };
  search(0, NO_COST);
  return { found: found ? best?.units : undefined, exhausted: left <= 0 };
}

/**
 * The shortest prefix of the units (cheapest first) that makes the gang fit, by bisection: evicting
 * more never takes room away. The caller knows every unit together fits; the prefix returned was
 * checked (or is all of them).
 */
function greedy(
  units: readonly VictimUnit[],
  fitsWith: (chosen: readonly VictimUnit[]) => boolean,
): VictimUnit[] {
  let lo = 1;
  let hi = units.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fitsWith(units.slice(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  return units.slice(0, lo);
}

/**
 * A unit is necessary without a packing check when the domain's free GPU milli without its share
 * falls below what the preemptor needs in all.
 */
function necessaryByCount(
  nodes: readonly NodeGpuState[],
  needMilli: number,
): (kept: readonly VictimUnit[], unit: VictimUnit) => boolean {
  if (needMilli <= 0) return () => false;
  const free = nodes.reduce((sum, n) => sum + freeMilliOf(n), 0);
  const freed = (u: VictimUnit): number => u.holdings.reduce((sum, a) => sum + assignmentMilli(a), 0);
  return (kept, unit) => free + kept.reduce((sum, u) => sum + freed(u), 0) - freed(unit) < needMilli;
}

/** Drops units the gang does not need, costliest first, so every unit left is necessary. */
function prune(
  units: readonly VictimUnit[],
  fitsWith: (chosen: readonly VictimUnit[]) => boolean,
  necessary: (kept: readonly VictimUnit[], unit: VictimUnit) => boolean,
): VictimUnit[] {
  const kept = [...units].sort((a, b) => compareCost(a.cost, b.cost));
  for (let i = kept.length - 1; i >= 0; i -= 1) {
    const unit = kept[i];
    if (unit === undefined || necessary(kept, unit)) continue;
    const without = kept.filter((_, j) => j !== i);
    if (fitsWith(without)) kept.splice(i, 1);
  }
  return kept;
}
