import { describe, expect, it } from 'vitest';
import { combineSeeds, type SeedResult } from '../../src/replay/run-replay.js';
import type { TraceNode } from '../../src/replay/trace-csv.js';

const node = (name: string, gpus: number): TraceNode => ({
  name,
  cpuMilli: 96_000,
  memoryMib: 786_432,
  gpus,
  model: 'V100M32',
});

const seed = (n: number, at100: number, curve: readonly number[]): SeedResult => ({
  seed: n,
  unallocatedPctAt100: at100,
  submittedPods: 100 + n,
  failedPods: n,
  seconds: 1,
  curve: curve.map((unallocatedPct, k) => ({ arrivedPct: (k + 1) * 50, unallocatedPct })),
});

describe('combineSeeds', () => {
  it('averages the metric and every curve point over the seeds, keeping their order', () => {
    const result = combineSeeds(
      { policy: 'bestfit', podsFile: 'pods.csv', nodes: [node('a', 8), node('b', 2), node('c', 0)] },
      [seed(7, 10, [2, 4]), seed(3, 20, [6, 8])],
      12.5,
    );
    expect(result).toMatchObject({ policy: 'bestfit', pods: 'pods.csv', nodes: 3, gpus: 10, seconds: 12.5 });
    expect(result.seeds).toEqual([7, 3]);
    expect(result.unallocatedPctAt100).toBe(15);
    expect(result.curve).toEqual([
      { arrivedPct: 50, unallocatedPct: 4 },
      { arrivedPct: 100, unallocatedPct: 6 },
    ]);
    expect(result.perSeed).toEqual([
      { seed: 7, unallocatedPctAt100: 10, failedPods: 7, pods: 107 },
      { seed: 3, unallocatedPctAt100: 20, failedPods: 3, pods: 103 },
    ]);
  });
});
