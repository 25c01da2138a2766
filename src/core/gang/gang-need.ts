// What a gang asks of one domain, aggregated once per plan, and the O(1) test of a domain summary
// against it. The test only rules domains out (every condition is necessary, none sufficient); the
// exact packing check decides for the domains that pass.
import { FREE_MILLI_BUCKET, type DomainSummary } from '../topology/domain-summary.js';
import { formatGpus } from '../quantity.js';
import { MILLI_PER_GPU, type PodDemand } from '../types.js';
import { demandMilli, demandShape } from './domain-packing.js';

export interface GangNeed {
  readonly members: number;
  /** Whole-device counts, largest first. */
  readonly wholeCounts: readonly number[];
  /** Fraction shares (milli), largest first. */
  readonly fractionMillis: readonly number[];
  /** Milli over all members (memory-only shares count 1 each). */
  readonly totalMilli: number;
}

export function gangNeed(members: readonly PodDemand[]): GangNeed {
  const wholeCounts: number[] = [];
  const fractionMillis: number[] = [];
  let totalMilli = 0;
  for (const demand of members) {
    if (demand.gpu.kind === 'whole') wholeCounts.push(demand.gpu.count);
    if (demand.gpu.kind === 'fraction') fractionMillis.push(demand.gpu.milli);
    totalMilli += demandMilli(demand);
  }
  const desc = (a: number, b: number): number => b - a;
  return {
    members: members.length,
    wholeCounts: wholeCounts.sort(desc),
    fractionMillis: fractionMillis.sort(desc),
    totalMilli,
  };
}

/**
 * How many pods needing `k` whole devices the domain's nodes could take, if devices were all that
 * mattered: Σ over nodes floor(free/k) = Σ_{j≥1} (nodes with ≥ j·k free).
 */
export function wholeSlots(summary: DomainSummary, k: number): number {
  if (k <= 0) return 0;
  const max = summary.maxFreeWholeOnNode();
  let slots = 0;
  for (let j = 1; j * k <= max; j++) slots += summary.nodesWithFreeWhole(j * k);
  return slots;
}

/** Upper bound of how many `milli` shares the domain's shareable devices could take. */
export function fractionSlots(summary: DomainSummary, milli: number): number {
  if (milli <= 0) return 0;
  let slots = 0;
  for (
    let bucket = Math.floor(milli / FREE_MILLI_BUCKET);
    bucket * FREE_MILLI_BUCKET <= MILLI_PER_GPU;
    bucket++
  ) {
    const devices =
      summary.devicesWithFreeMilli(bucket * FREE_MILLI_BUCKET) -
      summary.devicesWithFreeMilli((bucket + 1) * FREE_MILLI_BUCKET);
    const mostFree = Math.min(MILLI_PER_GPU, bucket * FREE_MILLI_BUCKET + FREE_MILLI_BUCKET - 1);
    slots += devices * Math.floor(mostFree / milli);
  }
  return slots;
}

/** False when the domain certainly cannot hold the whole gang. */
export function summaryAdmits(summary: DomainSummary, need: GangNeed): boolean {
  if (summary.nodeCount === 0) return false;
  if (summary.freeMilli < need.totalMilli) return false;
  const totalWhole = need.wholeCounts.reduce((sum, k) => sum + k, 0);
  if (summary.freeWholeDevices < totalWhole) return false;
  // Members needing at least k devices each cannot outnumber the domain's k-device slots.
  let atLeast = 0;
  for (let i = 0; i < need.wholeCounts.length; i++) {
    atLeast += 1;
    const k = need.wholeCounts[i] ?? 0;
    if (need.wholeCounts[i + 1] === k) continue;
    if (wholeSlots(summary, k) < atLeast) return false;
  }
  atLeast = 0;
  for (let i = 0; i < need.fractionMillis.length; i++) {
    atLeast += 1;
    const milli = need.fractionMillis[i] ?? 0;
    if (need.fractionMillis[i + 1] === milli) continue;
    if (fractionSlots(summary, milli) < atLeast) return false;
  }
  return true;
}

function describeDemand(demand: PodDemand): string {
  switch (demand.gpu.kind) {
    case 'whole':
      return demand.gpu.count === 1 ? '1 GPU' : `${demand.gpu.count} GPUs`;
    case 'fraction':
      return formatGpus(demand.gpu.milli);
    case 'memory':
      return `${Math.ceil(demand.gpu.memoryBytes / 2 ** 20)}Mi of GPU memory`;
    case 'none':
      return 'no GPU';
  }
}

/** "4 pods × 8 GPUs", or for mixed shapes "3 pods (2 × 8 GPUs, 1 × 1 GPU)". */
export function describeMembers(members: readonly PodDemand[]): string {
  const pods = members.length === 1 ? '1 pod' : `${members.length} pods`;
  const groups = new Map<string, { count: number; text: string }>();
  for (const demand of members) {
    const shape = demandShape(demand);
    const group = groups.get(shape) ?? { count: 0, text: describeDemand(demand) };
    group.count += 1;
    groups.set(shape, group);
  }
  const parts = [...groups.values()];
  const only = parts[0];
  if (parts.length === 1 && only !== undefined) return `${pods} × ${only.text}`;
  return `${pods} (${parts.map((p) => `${p.count} × ${p.text}`).join(', ')})`;
}
