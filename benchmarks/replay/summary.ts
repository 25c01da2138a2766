// Reduces per-seed replay results to one row per (trace, policy label): mean, spread and seeds, and
// the phalanx − fgd gap per trace (paired: both replay the same pod sequences).
import type { ReplayJobResult } from './jobs.js';
import { mean } from '../../src/replay/metrics.js';

export interface Cell {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly perSeed: readonly { seed: number; value: number; failedPods: number }[];
  readonly seconds: number;
}

/** Label of a job's result: the policy, or e.g. "phalanx-heldout" for cross-validated constants. */
export const labelOf = (r: ReplayJobResult): string => r.job.label ?? r.job.policy;

export function cells(results: readonly ReplayJobResult[]): Map<string, Map<string, Cell>> {
  const grouped = new Map<string, Map<string, ReplayJobResult[]>>();
  for (const r of results) {
    const byLabel = grouped.get(r.job.trace) ?? new Map<string, ReplayJobResult[]>();
    grouped.set(r.job.trace, byLabel);
    byLabel.set(labelOf(r), [...(byLabel.get(labelOf(r)) ?? []), r]);
  }
  const out = new Map<string, Map<string, Cell>>();
  for (const [trace, byLabel] of grouped) {
    const row = new Map<string, Cell>();
    for (const [label, list] of byLabel) {
      const sorted = [...list].sort((a, b) => a.seed - b.seed);
      const values = sorted.map((r) => r.unallocatedPctAt100);
      row.set(label, {
        mean: mean(values),
        min: Math.min(...values),
        max: Math.max(...values),
        perSeed: sorted.map((r) => ({
          seed: r.seed,
          value: r.unallocatedPctAt100,
          failedPods: r.failedPods,
        })),
        seconds: sorted.reduce((s, r) => s + r.seconds, 0),
      });
    }
    out.set(trace, row);
  }
  return out;
}

/** Mean over seeds of (a − b), over the seeds both have; NaN when none. */
export function pairedGap(a: Cell | undefined, b: Cell | undefined): number {
  if (!a || !b) return NaN;
  const other = new Map(b.perSeed.map((s) => [s.seed, s.value]));
  const gaps = a.perSeed.flatMap((s) => {
    const v = other.get(s.seed);
    return v === undefined ? [] : [s.value - v];
  });
  return mean(gaps);
}
