import { describe, expect, it } from 'vitest';
import {
  bestPoint,
  familyNormalisedObjective,
  meanGapObjective,
} from '../../../benchmarks/replay/crossval-objectives.js';

// Two families, two grid points. Family A (large margins) prefers point 0 by 3 points; family B
// (small margins) prefers point 1 by 0.2 points; no gap is positive.
const gaps = [
  [
    [-8, -6],
    [-5, -3],
  ],
  [
    [-0.2, -0.2],
    [-0.4, -0.4],
  ],
];

describe('meanGapObjective', () => {
  it('is the mean gap over every trace plus the worst positive gap', () => {
    expect(meanGapObjective(gaps, 0)).toBeCloseTo((-8 - 6 - 0.2 - 0.2) / 4, 12);
    expect(meanGapObjective([[[-1, 2]], [[0.5]]], 0)).toBeCloseTo((-1 + 2 + 0.5) / 3 + 2, 12);
  });

  it('lets the family with the larger scale decide', () => {
    expect(bestPoint(gaps, meanGapObjective).point).toBe(0);
  });
});

describe('familyNormalisedObjective', () => {
  it('gives each family one equal vote in units of its own spread', () => {
    // A: means -7, -4 → z -1, +1; B: means -0.2, -0.4 → z +1, -1. Tied: the first point wins.
    expect(familyNormalisedObjective(gaps, 0)).toBeCloseTo(0, 12);
    expect(familyNormalisedObjective(gaps, 1)).toBeCloseTo(0, 12);
    // A third family that agrees with B breaks the tie toward B's point, whatever A's scale.
    const withC = [...gaps, [[-0.01], [-0.02]]];
    expect(bestPoint(withC, familyNormalisedObjective).point).toBe(1);
    expect(bestPoint(withC, meanGapObjective).point).toBe(0);
  });

  it('adds the worst positive gap, and nothing for a family the grid does not move', () => {
    const flat = [
      [[1], [1]],
      [[-1], [-2]],
    ];
    // Flat family: z 0 at both points; the other: z +1 and -1; worst positive gap 1 at both.
    expect(familyNormalisedObjective(flat, 0)).toBeCloseTo(0.5 + 1, 12);
    expect(familyNormalisedObjective(flat, 1)).toBeCloseTo(-0.5 + 1, 12);
  });
});

describe('bestPoint', () => {
  it('keeps the first of equal points', () => {
    expect(bestPoint([[[0], [0], [-1], [-1]]], meanGapObjective)).toEqual({ point: 2, objective: -1 });
  });
});
