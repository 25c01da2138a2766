import { describe, expect, it } from 'vitest';
import { createModelDemand, displacedGpuMilli } from '../../../src/core/policies/model-demand.js';
import { createPhalanxPolicy, PHALANX_WEIGHTS } from '../../../src/core/policies/phalanx.js';
import type { Candidate } from '../../../src/core/policies/policy.js';
import { PodTypeStats } from '../../../src/core/policies/pod-types.js';
import type { NodeGpuState, PodDemand } from '../../../src/core/types.js';

function node(name: string, model: string, devices: number, cpuMilli?: number): NodeGpuState {
  const list = Array.from({ length: devices }, (_, index) => ({
    index,
    memoryBytes: 0,
    usedMilli: 0,
    usedMemoryBytes: 0,
    mode: 'free' as const,
  }));
  const inventory = {
    name,
    devices: list.map((d) => ({ index: d.index, memoryBytes: 0 })),
    model,
    islands: [list.map((d) => d.index)],
    labels: {},
    unschedulable: false,
  };
  return cpuMilli === undefined
    ? { inventory, devices: list }
    : {
        inventory,
        devices: list,
        host: { cpuMilli, cpuMilliUsed: 0, memoryBytes: 1 << 30, memoryBytesUsed: 0 },
      };
}

const whole = (count: number, models?: string[]): PodDemand => ({
  gpu: { kind: 'whole', count },
  topology: {},
  ...(models ? { models } : {}),
});

function onDevice0(n: NodeGpuState, demand: PodDemand, milli = 1000): Candidate {
  return {
    node: n,
    demand,
    assignment: {
      node: n.inventory.name,
      whole: demand.gpu.kind === 'whole',
      devices: [{ index: 0, milli, memoryBytes: 0 }],
    },
  };
}

describe('createModelDemand', () => {
  it('is the share of observed pods whose allowed models include the model', () => {
    const stats = new PodTypeStats();
    const share = createModelDemand(stats);
    expect(share('T4')).toBe(0);
    stats.observe(whole(1, ['T4']));
    stats.observe(whole(2, ['T4']));
    stats.observe(whole(1, ['T4', 'V100']));
    stats.observe(whole(1));
    // Table published after 4 observations: 3 of 4 name T4, 1 of 4 names V100, none names G2.
    expect(share('T4')).toBe(0.75);
    expect(share('V100')).toBe(0.25);
    expect(share('G2')).toBe(0);
  });
});

describe('displacedGpuMilli', () => {
  const share300 = (cpuMilli?: number): PodDemand => ({
    gpu: { kind: 'fraction', milli: 300 },
    topology: {},
    ...(cpuMilli === undefined ? {} : { cpuMilli }),
  });

  it('is the GPU milli taken when CPU is not the tighter resource', () => {
    expect(displacedGpuMilli(onDevice0(node('a', 'P100', 2, 16000), share300(), 300))).toBe(300);
    expect(displacedGpuMilli(onDevice0(node('a', 'P100', 2, 16000), share300(2000), 300))).toBe(300);
  });

  it('is the CPU share of the node in GPU milli when CPU is the tighter resource', () => {
    // Half the node's 16 vCPU strands half of its 2000 milli.
    expect(displacedGpuMilli(onDevice0(node('a', 'P100', 2, 16000), share300(8000), 300))).toBe(1000);
  });

  it('ignores CPU on nodes whose host resources are not tracked', () => {
    expect(displacedGpuMilli(onDevice0(node('a', 'P100', 2), share300(8000), 300))).toBe(300);
  });
});

describe('phalanx on capacity that model-constrained pods need', () => {
  // A 2-GPU T4 node and an 8-GPU G2 node, both empty, host resources untracked. Learned table
  // (16 observations, published at 16): `rest` unconstrained 1-GPU pods, 2 unconstrained 8-GPU
  // pods, `t4Only` 1-GPU pods constrained to T4.
  const t4 = node('t4', 'T4', 2);
  const g2 = node('g2', 'G2', 8);
  const learned = (t4Only: number) => {
    const policy = createPhalanxPolicy();
    for (let i = 0; i < 16 - 2 - t4Only; i++) policy.observe?.(whole(1));
    for (let i = 0; i < 2; i++) policy.observe?.(whole(8));
    for (let i = 0; i < t4Only; i++) policy.observe?.(whole(1, ['T4']));
    return policy;
  };

  it('sends a pod that can run anywhere away from a model constrained pods need', () => {
    const policy = learned(6);
    // T4: fragment for the 8-GPU type falls 2000 -> 1000 (x2 pods): increase -125 per pod;
    // best-fit leftover 0.5 * 1000/8000 = 0.0625 (x80); constrained share 6/16 x 1000 milli x 3.
    expect(policy.score(onDevice0(t4, whole(1)))).toBeCloseTo(125 - 5 - 1125, 9);
    // G2: 8-GPU type 0 -> 7000 (x2), T4-only type 8000 -> 7000 (x6): increase 8000/16 = 500;
    // leftover 0.5 * 7000/8000 = 0.4375 (x80); no pod is constrained to G2.
    expect(policy.score(onDevice0(g2, whole(1)))).toBeCloseTo(-500 - 35, 9);
  });

  it('keeps preferring the small node when no pod names a model', () => {
    const policy = learned(0);
    // T4 as above without the constrained charge; G2: 8-GPU type 0 -> 7000 (x2) = 14000/16.
    expect(policy.score(onDevice0(t4, whole(1)))).toBeCloseTo(125 - 5, 9);
    expect(policy.score(onDevice0(g2, whole(1)))).toBeCloseTo(-875 - 35, 9);
  });

  it('takes its two weights from the caller (cross-validation) and defaults to the shipped ones', () => {
    const withWeights = (bestFit: number, constrainedDemand: number) => {
      const policy = createPhalanxPolicy({ bestFit, constrainedDemand });
      for (let i = 0; i < 8; i++) policy.observe?.(whole(1));
      for (let i = 0; i < 2; i++) policy.observe?.(whole(8));
      for (let i = 0; i < 6; i++) policy.observe?.(whole(1, ['T4']));
      return policy;
    };
    // T4 as in the first case: fragment -125, leftover 0.0625, constrained 6/16 x 1000 milli.
    expect(withWeights(0, 0).score(onDevice0(t4, whole(1)))).toBeCloseTo(125, 9);
    expect(withWeights(160, 6).score(onDevice0(t4, whole(1)))).toBeCloseTo(125 - 10 - 2250, 9);
    expect(
      withWeights(PHALANX_WEIGHTS.bestFit, PHALANX_WEIGHTS.constrainedDemand).score(onDevice0(t4, whole(1))),
    ).toBeCloseTo(learned(6).score(onDevice0(t4, whole(1))), 9);
  });
});
