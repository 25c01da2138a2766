// The FGD paper's metric: unallocated GPU (capacity − allocated, as % of capacity) at the moment the
// arrived GPU requests reach a given % of capacity.
import type { SimulationSeries } from './simulate.js';

/** Unallocated GPU % right after the first pod whose arrival reaches `arrivedPct` of capacity. */
export function unallocatedPctAt(
  series: SimulationSeries,
  capacityMilli: number,
  arrivedPct: number,
): number {
  const threshold = (capacityMilli * arrivedPct) / 100;
  const { arrivedMilli, allocatedMilli } = series;
  let i = arrivedMilli.findIndex((a) => a >= threshold);
  if (i < 0) i = arrivedMilli.length - 1;
  const allocated = allocatedMilli[i] ?? 0;
  return ((capacityMilli - allocated) / capacityMilli) * 100;
}

export interface CurvePoint {
  readonly arrivedPct: number;
  readonly unallocatedPct: number;
}

export function curveOf(series: SimulationSeries, capacityMilli: number, from = 75, to = 130): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (let pct = from; pct <= to; pct++) {
    out.push({ arrivedPct: pct, unallocatedPct: unallocatedPctAt(series, capacityMilli, pct) });
  }
  return out;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
