import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mean, median, quantile, round } from '../../../benchmarks/lib/stats.js';

describe('quantile (nearest rank)', () => {
  it('picks the ranked sample', () => {
    const values = [50, 10, 40, 20, 30];
    expect(quantile(values, 0.5)).toBe(30);
    expect(quantile(values, 0.99)).toBe(50);
    expect(quantile(values, 0)).toBe(10);
    expect(quantile([], 0.5)).toBe(0);
  });

  it('p99 of 1..100 is 99 and p50 is 50', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 0.5)).toBe(50);
  });

  it('is always one of the samples and monotone in q', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1 }), (values) => {
        const p50 = quantile(values, 0.5);
        const p99 = quantile(values, 0.99);
        expect(values).toContain(p50);
        expect(p99).toBeGreaterThanOrEqual(p50);
      }),
    );
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([0.6, 1.3])).toBeCloseTo(0.95, 10);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });

  it('has as many values at or below it as at or above it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1 }), (values) => {
        const m = median(values);
        const below = values.filter((v) => v <= m).length;
        const above = values.filter((v) => v >= m).length;
        expect(below).toBeGreaterThanOrEqual(values.length / 2);
        expect(above).toBeGreaterThanOrEqual(values.length / 2);
      }),
    );
  });
});

describe('mean and round', () => {
  it('averages and rounds', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBe(0);
    expect(round(1.23456, 2)).toBe(1.23);
  });
});
