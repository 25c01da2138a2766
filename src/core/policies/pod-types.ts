// The "target workload" of fragmentation-aware policies: pod types (resource shapes) with how often
// each was seen. Learned online from observed demands; no trace or cluster knowledge is built in.
import { MILLI_PER_GPU, type PodDemand } from '../types.js';

/** One resource shape. `gpuMilli` is per device (1000 for whole devices); gpuCount 0 = no GPU. */
export interface PodType {
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  readonly gpuCount: number;
  readonly gpuMilli: number;
  /** Allowed GPU models; empty = any. */
  readonly models: readonly string[];
}

export interface WeightedPodType {
  readonly type: PodType;
  /** How many observed pods had this shape, times the type's weight. */
  readonly count: number;
}

/** A frozen table; `version` changes whenever the weights do, so caches can key on it. */
export interface PodTypeTable {
  readonly version: number;
  readonly total: number;
  /** Observed pods without GPU demand (they count every free milli as a fragment). */
  readonly gpuLess: number;
  readonly types: readonly WeightedPodType[];
}

/** The shape of a demand, or undefined when its GPU share cannot be known without a device. */
export function podTypeOf(demand: PodDemand): PodType | undefined {
  const base = {
    cpuMilli: demand.cpuMilli ?? 0,
    memoryBytes: demand.memoryBytes ?? 0,
    models: [...(demand.models ?? [])].sort(),
  };
  switch (demand.gpu.kind) {
    case 'none':
      return { ...base, gpuCount: 0, gpuMilli: 0 };
    case 'whole':
      return { ...base, gpuCount: demand.gpu.count, gpuMilli: MILLI_PER_GPU };
    case 'fraction':
      return { ...base, gpuCount: 1, gpuMilli: demand.gpu.milli };
    case 'memory':
      return undefined;
  }
}

function typeKey(t: PodType): string {
  return `${t.cpuMilli}|${t.memoryBytes}|${t.gpuCount}|${t.gpuMilli}|${t.models.join('|')}`;
}

/** A string equal for two demands exactly when every policy must score them alike. */
export function podTypeKey(demand: PodDemand): string {
  const type = podTypeOf(demand);
  if (type !== undefined) return typeKey(type);
  const gpu = demand.gpu;
  const memory = gpu.kind === 'memory' ? gpu.memoryBytes : 0;
  return `mem:${memory}|${demand.cpuMilli ?? 0}|${demand.memoryBytes ?? 0}|${(demand.models ?? []).join('|')}`;
}

/**
 * Counts of observed pod types. The table is considered for publishing on a doubling schedule (1, 2,
 * 4, … observations) and then every `refreshEvery` observations, and published only when the shares
 * moved by at least `minShift` (total variation distance) since the published table, or when a
 * policy marked a change outside the counts. Scores read shares only (count / total), so a table
 * whose shares did not move would score alike: keeping it keeps every score cache valid, which
 * would otherwise be rebuilt for each shape at each step of the schedule (~5 ms per shape at 5000
 * nodes, the extender's slowest requests in a steady workload).
 */
export class PodTypeStats {
  private readonly counts = new Map<string, { type: PodType; count: number }>();
  private observed = 0;
  private nextRefresh = 1;
  private current: PodTypeTable = { version: 0, total: 0, gpuLess: 0, types: [] };
  /** Share of each type key in the published table. */
  private publishedShares = new Map<string, number>();
  private changedOutsideCounts = false;
  private readonly refreshEvery: number;
  private readonly minShift: number;
  private readonly weight: (type: PodType) => number;

  /**
   * `weight`: how much one observed pod of a type counts (default 1: popularity by pod count);
   * `minShift`: the total variation distance of shares below which a table is not republished
   * (default 0.01; 0 republishes at every step).
   */
  constructor(
    options: { refreshEvery?: number; minShift?: number; weight?: (type: PodType) => number } = {},
  ) {
    this.refreshEvery = options.refreshEvery ?? 4096;
    this.minShift = options.minShift ?? 0.01;
    this.weight = options.weight ?? (() => 1);
  }

  /** Something the table does not count changed (a policy met a new GPU model): publish at the next step. */
  markChanged(): void {
    this.changedOutsideCounts = true;
  }

  observe(demand: PodDemand): void {
    const type = podTypeOf(demand);
    if (type === undefined) return;
    const key = typeKey(type);
    const entry = this.counts.get(key);
    if (entry) entry.count += 1;
    else this.counts.set(key, { type, count: 1 });
    this.observed += 1;
    if (this.observed >= this.nextRefresh) {
      this.publish();
      this.nextRefresh =
        this.observed < this.refreshEvery ? this.observed * 2 : this.observed + this.refreshEvery;
    }
  }

  table(): PodTypeTable {
    return this.current;
  }

  private publish(): void {
    const weighted = [...this.counts].map(([key, e]) => ({
      key,
      type: e.type,
      count: e.count * this.weight(e.type),
    }));
    let total = 0;
    let gpuLess = 0;
    for (const t of weighted) {
      total += t.count;
      if (t.type.gpuCount === 0) gpuLess += t.count;
    }
    const shares = new Map(weighted.map((t) => [t.key, total > 0 ? t.count / total : 0]));
    const moved =
      this.current.version === 0 ||
      this.changedOutsideCounts ||
      shift(this.publishedShares, shares) >= this.minShift;
    if (!moved) return;
    this.changedOutsideCounts = false;
    this.publishedShares = shares;
    const types = weighted.map(({ type, count }) => ({ type, count }));
    this.current = { version: this.current.version + 1, total, gpuLess, types };
  }
}

/** Total variation distance between two share distributions keyed alike (types missing count 0). */
function shift(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const [key, share] of after) sum += Math.abs(share - (before.get(key) ?? 0));
  for (const [key, share] of before) if (!after.has(key)) sum += share;
  return sum / 2;
}
