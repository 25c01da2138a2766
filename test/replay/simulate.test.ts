import { describe, expect, it } from 'vitest';
import { curveOf, unallocatedPctAt } from '../../src/replay/metrics.js';
import { seededRng } from '../../src/replay/seeded-rng.js';
import { SimCluster } from '../../src/replay/sim-cluster.js';
import { simulate } from '../../src/replay/simulate.js';
import type { TraceNode } from '../../src/replay/trace-csv.js';
import { createBestFitPolicy } from '../../src/core/policies/bestfit.js';
import { tracePod } from '../support/trace-pods.js';

const node = (name: string, gpus: number): TraceNode => ({
  name,
  cpuMilli: 8000,
  memoryMib: 1024,
  gpus,
  model: 'T4',
});

describe('simulate on a tiny cluster (bestfit, values worked out by hand)', () => {
  // a: 1 GPU, b: 2 GPUs; capacity 3000 milli.
  // 1. share 600: leftover on a = .5*7000/128000 + .5*400/8000 = 0.052, on b = 0.115 -> a.
  // 2. whole 1: a's only device is shared -> b device 0.
  // 3. share 500: a has 400 left -> b device 1.
  // 4. whole 1: no free device anywhere -> fails.
  const pods = [
    tracePod('s600', 1, 600),
    tracePod('w1', 1, 1000),
    tracePod('s500', 1, 500),
    tracePod('w2', 1, 1000),
  ];

  it('places pods where best fit says and records arrived and allocated GPU', () => {
    const cluster = new SimCluster([node('a', 1), node('b', 2)]);
    const series = simulate(cluster, pods, createBestFitPolicy(), {
      pureScores: true,
      observe: true,
      rng: seededRng(1),
    });
    expect([...series.arrivedMilli]).toEqual([600, 1600, 2100, 3100]);
    expect([...series.allocatedMilli]).toEqual([600, 1600, 2100, 2100]);
    expect(series.failedPods).toBe(1);
    const [a, b] = cluster.nodes;
    expect(a?.used).toEqual([600]);
    expect(b?.used).toEqual([1000, 500]);
    expect(b?.modes).toEqual(['whole', 'shared']);
    expect(b?.cpuUsed).toBe(2000);
  });

  it('reports unallocated GPU % when arrivals reach a share of capacity', () => {
    const cluster = new SimCluster([node('a', 1), node('b', 2)]);
    const series = simulate(cluster, pods, createBestFitPolicy(), {
      pureScores: true,
      observe: true,
      rng: seededRng(1),
    });
    // 100% = 3000 milli, first reached after pod 4: (3000 - 2100) / 3000.
    expect(unallocatedPctAt(series, 3000, 100)).toBeCloseTo(30, 10);
    // 50% = 1500 milli, first reached after pod 2: (3000 - 1600) / 3000.
    expect(unallocatedPctAt(series, 3000, 50)).toBeCloseTo(46.667, 3);
    expect(curveOf(series, 3000, 75, 77).map((p) => p.arrivedPct)).toEqual([75, 76, 77]);
  });

  it('enforces host CPU and GPU model', () => {
    const cluster = new SimCluster([node('a', 1)]);
    const hungry = { ...tracePod('cpu', 1, 1000), cpuMilli: 9000 };
    const wrongModel = { ...tracePod('model', 1, 1000), gpuSpec: ['A100'] };
    const series = simulate(cluster, [hungry, wrongModel], createBestFitPolicy(), {
      pureScores: true,
      observe: true,
      rng: seededRng(1),
    });
    expect(series.failedPods).toBe(2);
    expect([...series.allocatedMilli]).toEqual([0, 0]);
  });

  it('gives a multi-GPU pod only fully free devices of one node', () => {
    const cluster = new SimCluster([node('a', 2), node('b', 2)]);
    const pods2 = [tracePod('s', 1, 100), tracePod('s2', 1, 100), tracePod('w2', 2, 1000)];
    const series = simulate(cluster, pods2, createBestFitPolicy(), {
      pureScores: true,
      observe: true,
      rng: seededRng(3),
    });
    // Best fit puts both shares on one device of one node, so the other node takes the 2-GPU pod.
    expect(series.failedPods).toBe(0);
    const whole = cluster.nodes.find((n) => n.modes.every((m) => m === 'whole'));
    expect(whole?.used).toEqual([1000, 1000]);
  });
});
