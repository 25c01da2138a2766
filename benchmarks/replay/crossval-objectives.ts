// Objectives the cross-validation ranks grid points by. Each takes, per family, the gaps to fgd of
// one grid point on that family's tuning traces (phalanx − fgd, points; lower is better) and
// returns a figure to minimise.
import { mean } from '../../src/replay/metrics.js';

/** Per family, per grid point (same order in every family), the gap on each tuning trace. */
export type GapsByFamily = readonly (readonly (readonly number[])[])[];

/** Mean gap to fgd over every trace plus the worst positive gap: rewards margins, punishes any loss. */
export function meanGapObjective(gaps: GapsByFamily, point: number): number {
  const all = gaps.flatMap((family) => family[point] ?? []);
  return mean(all) + Math.max(0, ...all);
}

/**
 * The same worst-gap penalty, but each family's mean gap counted in units of its own spread over
 * the grid (a z-score) and the families averaged: a family whose margins are large everywhere
 * cannot outvote the others by its scale alone. A family the grid does not move (no spread) adds 0.
 */
export function familyNormalisedObjective(gaps: GapsByFamily, point: number): number {
  const standardised = gaps.map((family) => {
    const means = family.map((traces) => mean(traces));
    const centre = mean(means);
    const spread = Math.sqrt(mean(means.map((m) => (m - centre) ** 2)));
    return spread > 0 ? ((means[point] ?? centre) - centre) / spread : 0;
  });
  const all = gaps.flatMap((family) => family[point] ?? []);
  return mean(standardised) + Math.max(0, ...all);
}

/** The grid point with the lowest objective; ties go to the first (smaller weights). */
export function bestPoint(gaps: GapsByFamily, objective: (gaps: GapsByFamily, point: number) => number) {
  const points = gaps[0]?.length ?? 0;
  let best = { point: 0, objective: Infinity };
  for (let point = 0; point < points; point++) {
    const value = objective(gaps, point);
    if (value < best.objective - 1e-9) best = { point, objective: value };
  }
  return best;
}
