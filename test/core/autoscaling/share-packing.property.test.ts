import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packShares } from '../../../src/core/autoscaling/placeholder-plan.js';
import type { WaitingPod } from '../../../src/core/autoscaling/waiting-demand.js';

const item = (i: number, milli: number): { pod: WaitingPod; milli: number } => ({
  pod: {
    pod: `ns/p${i}`,
    gpu: { kind: 'fraction', milli },
    constraints: {},
    constraintsKey: '{}',
    visible: false,
    cpuMilli: 0,
    memoryBytes: 0,
  },
  milli,
});

describe('packShares (first fit decreasing onto whole GPUs)', () => {
  it('places every share exactly once, never over one GPU, with at most one GPU half empty or less', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 60 }), (sizes) => {
        const items = sizes.map((m, i) => item(i, m));
        const bins = packShares(items);
        const milliOf = new Map(items.map((it) => [it.pod.pod, it.milli]));
        const placed = bins
          .flat()
          .map((p) => p.pod)
          .sort();
        expect(placed).toEqual(items.map((it) => it.pod.pod).sort());
        const loads = bins.map((b) => b.reduce((s, p) => s + (milliOf.get(p.pod) ?? 0), 0));
        expect(loads.every((l) => l <= 1000)).toBe(true);
        // Two bins at most half full could have been one: first fit never leaves that.
        expect(loads.filter((l) => l <= 500).length).toBeLessThanOrEqual(1);
        const total = sizes.reduce((s, m) => s + m, 0);
        expect(bins.length).toBeGreaterThanOrEqual(Math.ceil(total / 1000));
      }),
      { numRuns: 300 },
    );
  });
});
