import { describe, expect, it } from 'vitest';
import { replaySeed, simulateSeed, type ReplayInput } from '../../src/replay/run-replay.js';
import type { TraceNode, TracePod } from '../../src/replay/trace-csv.js';
import { podsUntilArrived } from '../../src/replay/unallocated-breakdown.js';

const nodes: TraceNode[] = Array.from({ length: 12 }, (_, i) => ({
  name: `n${i}`,
  cpuMilli: i % 3 === 0 ? 16000 : 64000,
  memoryMib: 65536,
  gpus: i % 2 === 0 ? 2 : 8,
  model: i % 4 === 0 ? 'P100' : 'G2',
}));

const shapes: [number, number, number][] = [
  [1, 1000, 4000],
  [1, 500, 2000],
  [1, 250, 8000],
  [2, 1000, 12000],
  [8, 1000, 32000],
  [0, 0, 6000],
];
const pods: TracePod[] = shapes.map(([numGpu, gpuMilli, cpuMilli], i) => ({
  name: `p${i}`,
  cpuMilli,
  memoryMib: 1024,
  numGpu,
  gpuMilli,
  gpuSpec: i === 2 ? ['P100'] : [],
}));

// Seed 6: a policy given only the replayed part of the workload (not all of it) places differently.
const SEED = 6;

describe('simulateSeed cut where arrivals reach a share of capacity', () => {
  it.each(['fgd', 'phalanx', 'bestfit'] as const)(
    '%s: replays the same pods and placements as the full replay up to the cut',
    (policy) => {
      const input: ReplayInput = { policy, nodes, pods, podsFile: 'test', seeds: [SEED] };
      const full = simulateSeed(input, SEED);
      const cut = simulateSeed(input, SEED, (list, capacity) => podsUntilArrived(list, capacity, 100));
      expect(cut.pods.length).toBeGreaterThan(10);
      expect(cut.pods.length).toBeLessThan(full.pods.length);
      expect(cut.pods).toEqual(full.pods.slice(0, cut.pods.length));
      expect([...cut.series.allocatedMilli]).toEqual([
        ...full.series.allocatedMilli.slice(0, cut.pods.length),
      ]);
      // The published metric reads the full replay at the cut's last pod.
      const last = cut.series.allocatedMilli[cut.pods.length - 1] ?? NaN;
      const capacity = cut.cluster.capacityMilli;
      expect(replaySeed(input, SEED, () => 0).unallocatedPctAt100).toBeCloseTo(
        ((capacity - last) / capacity) * 100,
        9,
      );
    },
  );
});
