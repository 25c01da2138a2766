import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../src/replay/sim-cluster.js';
import type { SimulationSeries } from '../../src/replay/simulate.js';
import type { TraceNode, TracePod } from '../../src/replay/trace-csv.js';
import {
  failedGpuPods,
  podsUntilArrived,
  unallocatedBreakdown,
} from '../../src/replay/unallocated-breakdown.js';
import { tracePod } from '../support/trace-pods.js';

const node = (name: string, model: string): TraceNode => ({
  name,
  cpuMilli: 8000,
  memoryMib: 1024,
  gpus: 2,
  model,
});

describe('podsUntilArrived', () => {
  it('keeps the pods up to the first whose arrival reaches the share of capacity', () => {
    const pods = [
      tracePod('a', 1, 1000),
      tracePod('cpu', 0, 0),
      tracePod('b', 1, 1000),
      tracePod('c', 1, 500),
    ];
    // 4000 milli of capacity, 50 %: 1000, 1000, 2000 arrived after the third pod.
    expect(podsUntilArrived(pods, 4000, 50).map((p) => p.name)).toEqual(['a', 'cpu', 'b']);
    expect(podsUntilArrived(pods, 4000, 100)).toHaveLength(4);
  });
});

describe('failedGpuPods', () => {
  it('lists GPU pods whose allocation did not grow, never CPU-only ones', () => {
    const pods = [
      tracePod('a', 1, 500),
      tracePod('cpu', 0, 0),
      tracePod('b', 1, 1000),
      tracePod('c', 1, 1000),
    ];
    const series: SimulationSeries = {
      arrivedMilli: Float64Array.from([500, 500, 1500, 2500]),
      allocatedMilli: Float64Array.from([500, 500, 500, 1500]),
      failedPods: 1,
    };
    expect(failedGpuPods(pods, series).map((p) => p.name)).toEqual(['b']);
  });
});

describe('unallocatedBreakdown', () => {
  // Node a (T4): a 300-milli share on device 0 and 7500 of its 8000 CPU milli taken. Node b (P100):
  // a 400-milli share on device 0, 1000 CPU milli taken.
  const cluster = (): SimCluster => {
    const c = new SimCluster([node('a', 'T4'), node('b', 'P100')]);
    const [a, b] = c.nodes;
    if (!a || !b) throw new Error('no nodes');
    const share = (n: string, milli: number) => ({
      node: n,
      whole: false,
      devices: [{ index: 0, milli, memoryBytes: 0 }],
    });
    c.place(a, share('a', 300), { gpu: { kind: 'fraction', milli: 300 }, topology: {}, cpuMilli: 7500 });
    c.place(b, share('b', 400), { gpu: { kind: 'fraction', milli: 400 }, topology: {}, cpuMilli: 1000 });
    return c;
  };
  const constrained: TracePod = { ...tracePod('t4', 1, 800), cpuMilli: 2000, gpuSpec: ['T4'] };

  it('counts free GPUs no failed pod can reach by host resources apart from remainders and whole devices', () => {
    const wholeOne = tracePod('w', 1, 1000); // 1000 CPU milli: not on a (500 left), fits b
    const result = unallocatedBreakdown(cluster(), [wholeOne, constrained]);
    expect(result.capacityMilli).toBe(4000);
    expect(result.hostOrModelBound).toBe(700 + 1000); // all of a's free GPU
    expect(result.sharedRemainders).toBe(600);
    expect(result.untouchedDevices).toBe(1000);
    expect(result.failed).toEqual({
      'whole×1': { pods: 1, gpuMilli: 1000 },
      'share+model': { pods: 1, gpuMilli: 800 },
    });
  });

  it('counts a node as bound when the failed pods name other models', () => {
    // The T4 pod cannot use b's P100s and lacks CPU on a: every free milli is bound.
    const result = unallocatedBreakdown(cluster(), [constrained]);
    expect(result.hostOrModelBound).toBe(1700 + 1600);
    expect(result.sharedRemainders + result.untouchedDevices).toBe(0);
  });
});
