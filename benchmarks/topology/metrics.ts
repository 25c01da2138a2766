// Locality and packing figures of one configuration at one utilisation level, from the outcomes of
// the gangs offered up to that level (see the issue for the definitions).
import { quantile, round } from '../lib/stats.js';
import type { Possibilities } from './fabric-state.js';

export interface GangOutcome {
  readonly size: number;
  /** Cumulative GPUs offered, this gang included, over the fabric's capacity (0..1). */
  readonly offered: number;
  /** What the fabric allowed when the gang arrived. */
  readonly could: Possibilities;
  /** Members bound when its wait ended. */
  readonly bound: number;
  readonly cliquesUsed: number;
  readonly racksUsed: number;
  /** Last member seen → all bound; only for gangs bound whole. */
  readonly boundMs?: number;
  /** Share of the fabric's GPUs allocated when the gang arrived (0..1). */
  readonly allocatedBefore: number;
  /** `--pools`: the gang's pool, the share of that pool's GPUs allocated when it arrived, and its
   * members bound outside that pool (a scheduler that ignored the selector; should be 0). */
  readonly pool?: string;
  /** Cumulative GPUs offered to the gang's pool, this gang included, over the pool's capacity. */
  readonly offeredPool?: number;
  readonly allocatedBeforePool?: number;
  readonly outsidePool?: number;
  /** Members bound per clique. */
  readonly membersByClique?: Readonly<Record<string, number>>;
  /** When no clique could hold the gang: each clique's (of its pool) free member slots then. */
  readonly cliqueSlotsBefore?: Readonly<Record<string, number>>;
}

export interface LevelMetrics {
  readonly config: string;
  /** `--pools`: 'all' (both pools) or the pool the figures are restricted to. */
  readonly pool?: string;
  readonly utilisation: number;
  readonly gangs: number;
  readonly cliqueLocalRate: number | null;
  readonly rackLocalRate: number | null;
  readonly excessSpan: number | null;
  readonly halfBoundGangs: number;
  readonly refusedFitRack: number;
  readonly fillAtFirstRefusal: number | null;
  readonly gangBoundP50Ms: number | null;
  /** `--pools`: members bound on a node outside their gang's pool. */
  readonly boundOutsidePool?: number;
}

const whole = (g: GangOutcome): boolean => g.bound === g.size;

function rate(
  gangs: readonly GangOutcome[],
  could: (g: GangOutcome) => boolean,
  did: (g: GangOutcome) => boolean,
) {
  const eligible = gangs.filter(could);
  return eligible.length === 0
    ? null
    : round(eligible.filter((g) => whole(g) && did(g)).length / eligible.length, 3);
}

/**
 * The figures of the gangs offered up to `utilisation` % of the fabric. With pools, each gang's
 * possibilities were taken over its own pool's cliques and racks (fill.ts); a pool name restricts
 * the figures to that pool's gangs offered up to `utilisation` % of that pool, and the fill at first
 * refusal is then that pool's own fill; 'all' keeps every gang and the fabric's levels and fill.
 */
export function levelMetrics(
  config: string,
  utilisation: number,
  all: readonly GangOutcome[],
  pool?: string,
): LevelMetrics {
  const pooled = all.some((g) => g.pool !== undefined);
  const perPool = pool !== undefined && pool !== 'all';
  // Levels: the share of the fabric offered; for one pool's figures, the share of that pool offered.
  const gangs = all.filter((g) =>
    perPool
      ? g.pool === pool && (g.offeredPool ?? g.offered) <= utilisation / 100 + 1e-9
      : g.offered <= utilisation / 100 + 1e-9,
  );
  const bound = gangs.filter(whole);
  const spans = bound.flatMap((g) =>
    g.could.minCliques === undefined ? [] : [g.cliquesUsed - g.could.minCliques],
  );
  const firstRefused = gangs.find((g) => !whole(g));
  const latencies = bound.flatMap((g) => (g.boundMs === undefined ? [] : [g.boundMs]));
  const fill = (g: GangOutcome): number => (perPool ? (g.allocatedBeforePool ?? 0) : g.allocatedBefore);
  return {
    config,
    ...(pooled ? { pool: pool ?? 'all' } : {}),
    utilisation,
    gangs: gangs.length,
    cliqueLocalRate: rate(
      gangs,
      (g) => g.could.fitsClique,
      (g) => g.cliquesUsed === 1,
    ),
    rackLocalRate: rate(
      gangs,
      (g) => g.could.fitsRack,
      (g) => g.racksUsed === 1,
    ),
    excessSpan: spans.length === 0 ? null : round(spans.reduce((s, v) => s + v, 0) / spans.length, 3),
    halfBoundGangs: gangs.filter((g) => g.bound > 0 && g.bound < g.size).length,
    refusedFitRack: gangs.filter((g) => !whole(g) && g.could.fitsRack).length,
    fillAtFirstRefusal: firstRefused === undefined ? null : round(fill(firstRefused) * 100, 1),
    gangBoundP50Ms: latencies.length === 0 ? null : round(quantile(latencies, 0.5), 1),
    ...(pooled ? { boundOutsidePool: gangs.reduce((s, g) => s + (g.outsidePool ?? 0), 0) } : {}),
  };
}
