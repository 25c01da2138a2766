import { describe, expect, it } from 'vitest';
import { throughputSamples } from '../../../benchmarks/scheduler/throughput.js';

describe('throughputSamples', () => {
  it('keeps the intervals from the first binding to the last, as pods per second', () => {
    const counts = [
      { at: 0, bound: 0 },
      { at: 1000, bound: 0 }, // idle start-up: dropped
      { at: 2000, bound: 10 },
      { at: 3000, bound: 30 },
      { at: 3500, bound: 40 }, // half-second interval: 20 pods/s
      { at: 4500, bound: 40 }, // nothing more bound: dropped
    ];
    expect(throughputSamples(counts)).toEqual([10, 20, 20]);
  });

  it('keeps idle seconds between bindings', () => {
    const counts = [
      { at: 0, bound: 0 },
      { at: 1000, bound: 5 },
      { at: 2000, bound: 5 },
      { at: 3000, bound: 8 },
    ];
    expect(throughputSamples(counts)).toEqual([5, 0, 3]);
  });

  it('is empty when nothing was bound', () => {
    expect(
      throughputSamples([
        { at: 0, bound: 0 },
        { at: 1000, bound: 0 },
      ]),
    ).toEqual([]);
  });
});
