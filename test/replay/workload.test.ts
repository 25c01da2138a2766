import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/replay/seeded-rng.js';
import { buildWorkload } from '../../src/replay/workload.js';
import { tracePod } from '../support/trace-pods.js';

describe('buildWorkload', () => {
  const pods = [tracePod('a', 1, 1000), tracePod('b', 1, 500), tracePod('c', 0, 0)];

  it('keeps every trace pod and resamples until the GPU target is reached', () => {
    // capacity 10 GPUs × 1.3 = 13000 milli; the trace holds 1500.
    const list = buildWorkload(pods, 10_000, 1.3, seededRng(42));
    const total = list.reduce((s, p) => s + p.numGpu * p.gpuMilli, 0);
    expect(total).toBeGreaterThanOrEqual(13_000);
    expect(total).toBeLessThan(13_000 + 1000);
    for (const name of ['a', 'b', 'c']) expect(list.some((p) => p.name === name)).toBe(true);
  });

  it('trims a list that already exceeds the target', () => {
    const many = Array.from({ length: 20 }, (_, i) => tracePod(`w${i}`, 1, 1000));
    const list = buildWorkload(many, 10_000, 1.3, seededRng(1));
    expect(list).toHaveLength(13);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const names = (seed: number): string =>
      buildWorkload(pods, 10_000, 1.3, seededRng(seed))
        .map((p) => p.name)
        .join();
    expect(names(42)).toBe(names(42));
    expect(names(42)).not.toBe(names(43));
  });
});
