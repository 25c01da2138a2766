import { describe, expect, it } from 'vitest';
import { levelMetrics, type GangOutcome } from '../../../benchmarks/topology/metrics.js';

const fits = { fitsClique: true, fitsRack: true, minCliques: 1 };
const gang = (over: Partial<GangOutcome>): GangOutcome => ({
  size: 4,
  offered: 0.1,
  could: fits,
  bound: 4,
  cliquesUsed: 1,
  racksUsed: 1,
  boundMs: 100,
  allocatedBefore: 0,
  ...over,
});

describe('levelMetrics', () => {
  const outcomes: GangOutcome[] = [
    gang({ offered: 0.2, boundMs: 100 }),
    gang({ offered: 0.4, cliquesUsed: 2, boundMs: 300 }), // could have been clique-local: excess 1
    gang({
      offered: 0.6,
      could: { fitsClique: false, fitsRack: true, minCliques: 2 },
      cliquesUsed: 2,
      boundMs: 200,
    }),
    gang({ offered: 0.8, bound: 2, cliquesUsed: 1, allocatedBefore: 0.55 }), // half-bound, refused though a rack fit
    gang({
      offered: 1.0,
      bound: 0,
      cliquesUsed: 0,
      racksUsed: 0,
      could: { fitsClique: false, fitsRack: false, minCliques: undefined },
      allocatedBefore: 0.7,
    }),
  ];

  it('at 50 % counts only the gangs offered by then', () => {
    const m = levelMetrics('x', 50, outcomes);
    expect(m.gangs).toBe(2);
    expect(m.cliqueLocalRate).toBe(0.5);
    expect(m.excessSpan).toBe(0.5);
    expect(m.halfBoundGangs).toBe(0);
    expect(m.fillAtFirstRefusal).toBeNull();
    expect(m.gangBoundP50Ms).toBe(100);
  });

  it('at 100 % reports refusals, half-bound gangs and the fill at the first refusal', () => {
    const m = levelMetrics('x', 100, outcomes);
    expect(m.gangs).toBe(5);
    // Clique-eligible: gangs 1, 2, 4; only gang 1 bound whole in one clique.
    expect(m.cliqueLocalRate).toBeCloseTo(1 / 3, 3);
    // Rack-eligible: 1-4; bound whole in one rack: 1, 2, 3.
    expect(m.rackLocalRate).toBe(0.75);
    expect(m.halfBoundGangs).toBe(1);
    expect(m.refusedFitRack).toBe(1);
    expect(m.fillAtFirstRefusal).toBe(55);
    expect(m.excessSpan).toBeCloseTo(1 / 3, 3);
  });
});
