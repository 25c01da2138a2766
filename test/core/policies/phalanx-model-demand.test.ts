import { describe, expect, it } from 'vitest';
import {
  createModelScarcity,
  createUnconstrainedShare,
  strandedGpuMilli,
  takenGpuMilli,
} from '../../../src/core/policies/model-demand.js';
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

describe('createModelScarcity', () => {
  const fraction = (milli: number, models?: string[]): PodDemand => ({
    gpu: { kind: 'fraction', milli },
    topology: {},
    ...(models ? { models } : {}),
  });
  const cpuOnly: PodDemand = { gpu: { kind: 'none' }, topology: {}, cpuMilli: 4000 };

  it('is the share of learned GPU demand naming the model times the number of known models', () => {
    const stats = new PodTypeStats();
    const scarcity = createModelScarcity(stats);
    expect(scarcity.of('T4')).toBe(0);
    stats.observe(whole(1, ['T4']));
    stats.observe(whole(2, ['T4']));
    stats.observe(whole(1, ['T4', 'V100']));
    stats.observe(whole(1));
    // Published after 4 observations: 5000 milli learned, 4000 may run on T4, 1000 on V100; the
    // pods named 2 models. T4: 0.8 x 2, V100: 0.2 x 2, G2 (named by no pod): 0.
    expect(scarcity.of('T4')).toBeCloseTo(1.6, 12);
    expect(scarcity.of('V100')).toBeCloseTo(0.4, 12);
    expect(scarcity.of('G2')).toBe(0);
  });

  it('weighs pods by the GPU milli they ask for, not by count; CPU-only pods ask for none', () => {
    const stats = new PodTypeStats();
    const scarcity = createModelScarcity(stats);
    stats.observe(fraction(250, ['T4']));
    stats.observe(whole(1));
    stats.observe(cpuOnly);
    stats.observe(cpuOnly);
    // 250 of 1250 milli name T4, 1 model known: 0.2 (by pod count it would be 1 of 4).
    expect(scarcity.of('T4')).toBeCloseTo(0.2, 12);
  });

  it('counts the models of the nodes it was asked about from the next table version on', () => {
    const stats = new PodTypeStats();
    const scarcity = createModelScarcity(stats);
    stats.observe(whole(1, ['T4']));
    stats.observe(whole(1));
    expect(scarcity.of('T4')).toBeCloseTo(0.5, 12); // 1 known model
    expect(scarcity.of('G2')).toBe(0);
    expect(scarcity.of('A10')).toBe(0);
    expect(scarcity.of('T4')).toBeCloseTo(0.5, 12); // unchanged until the table changes
    stats.observe(whole(1, ['T4']));
    stats.observe(whole(1));
    // Published at 4: still half the demand names T4, now among 3 known models.
    expect(scarcity.of('T4')).toBeCloseTo(1.5, 12);
  });
});

describe('createModelScarcity with the cluster capacity', () => {
  const gpus = (counts: Record<string, number>): Map<string, number> => new Map(Object.entries(counts));
  /** Four whole-GPU pods, half of them naming T4: shares that never move from step to step. */
  const observeHalfOnT4 = (stats: PodTypeStats): void => {
    for (const models of [['T4'], ['T4'], undefined, undefined]) stats.observe(whole(1, models));
  };
  /** A scarcity given G2: 6, T4: 2 before the half-on-T4 pods. */
  const learned = (): { stats: PodTypeStats; scarcity: ReturnType<typeof createModelScarcity> } => {
    const stats = new PodTypeStats();
    const scarcity = createModelScarcity(stats);
    scarcity.observeCapacity(gpus({ G2: 6, T4: 2 }));
    observeHalfOnT4(stats);
    return { stats, scarcity };
  };

  it('assumes for each model half its share of the GPUs and half an equal split', () => {
    const { scarcity } = learned();
    // Half of the 4000 milli names T4. Known models: G2 and T4. Assumed T4 share:
    // 0.5 x 2/8 + 0.5 x 1/2 = 0.375, so 0.5 / 0.375; the equal split alone would give 0.5 x 2 = 1.
    expect(scarcity.of('T4')).toBeCloseTo(4 / 3, 12);
    expect(scarcity.of('G2')).toBe(0);
  });

  it('follows a changed capacity from the next table version on; an equal one changes nothing', () => {
    const { stats, scarcity } = learned();
    expect(scarcity.of('T4')).toBeCloseTo(4 / 3, 12);
    scarcity.observeCapacity(gpus({ G2: 2, T4: 2 }));
    expect(scarcity.of('T4')).toBeCloseTo(4 / 3, 12); // scores between two versions stay equal
    const before = stats.table().version;
    // The shares do not move, but the capacity did: the step at 8 observations publishes.
    observeHalfOnT4(stats);
    expect(stats.table().version).toBe(before + 1);
    expect(scarcity.of('T4')).toBeCloseTo(0.5 / (0.5 * 0.5 + 0.5 * 0.5), 12);
    scarcity.observeCapacity(gpus({ T4: 2, G2: 2 }));
    observeHalfOnT4(stats);
    observeHalfOnT4(stats);
    expect(stats.table().version).toBe(before + 1); // step at 16: nothing moved, nothing published
  });

  it('counts GPUs of nodes without a model label in the total but not as a model', () => {
    const stats = new PodTypeStats();
    const scarcity = createModelScarcity(stats);
    scarcity.observeCapacity(gpus({ T4: 2, '': 6 }));
    stats.observe(whole(1, ['T4']));
    stats.observe(whole(1));
    // Known models: T4 alone. Assumed share 0.5 x 2/8 + 0.5 x 1 = 0.625; half the demand names T4.
    expect(scarcity.of('T4')).toBeCloseTo(0.5 / 0.625, 12);
  });
});

describe('GPU milli a placement displaces (taken plus stranded, what the model charge prices)', () => {
  const displacedGpuMilli = (c: Candidate): number => takenGpuMilli(c) + strandedGpuMilli(c);
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

describe('strandedGpuMilli', () => {
  const cpuHeavy = (cpuMilli: number): PodDemand => ({
    gpu: { kind: 'whole', count: 1 },
    topology: {},
    cpuMilli,
  });

  it('is the GPU milli the CPU share of the node stands for beyond the GPU milli taken', () => {
    // 12 of 16 vCPU stand for 1500 of the node's 2000 milli; 1000 taken: 500 stranded.
    expect(strandedGpuMilli(onDevice0(node('a', 'P100', 2, 16000), cpuHeavy(12000)))).toBe(500);
    // 12 of 64 vCPU stand for 375 milli, less than the GPU taken: nothing stranded.
    expect(strandedGpuMilli(onDevice0(node('b', 'P100', 2, 64000), cpuHeavy(12000)))).toBe(0);
    expect(strandedGpuMilli(onDevice0(node('c', 'P100', 2), cpuHeavy(12000)))).toBe(0);
  });

  it('makes phalanx pay each stranded milli at its weight', () => {
    const poor = node('poor', 'G2', 2, 16000);
    const rich = node('rich', 'G2', 2, 64000);
    const score = (stranded: number, n: NodeGpuState): number => {
      const policy = createPhalanxPolicy({ ...PHALANX_WEIGHTS, stranded });
      for (let i = 0; i < 4; i++) policy.observe?.(cpuHeavy(12000));
      return policy.score(onDevice0(n, cpuHeavy(12000)));
    };
    expect(score(0, poor) - score(1, poor)).toBeCloseTo(500, 9);
    expect(score(0, poor) - score(0.5, poor)).toBeCloseTo(250, 9);
    expect(score(0, rich) - score(1, rich)).toBe(0);
  });

  it('prices stranding for the share of learned GPU demand that names no model', () => {
    const poor = node('poor', 'G2', 2, 16000);
    const score = (stranded: number): number => {
      const policy = createPhalanxPolicy({ ...PHALANX_WEIGHTS, stranded });
      // 3000 of 4000 learned milli name a model: a quarter is free to go anywhere.
      for (let i = 0; i < 3; i++) policy.observe?.({ ...cpuHeavy(12000), models: ['T4'] });
      policy.observe?.(cpuHeavy(12000));
      return policy.score(onDevice0(poor, cpuHeavy(12000)));
    };
    expect(score(0) - score(1)).toBeCloseTo(500 / 4, 9);
  });
});

describe('createUnconstrainedShare', () => {
  it('is the share of learned GPU milli naming no model, 1 before anything is learned', () => {
    const stats = new PodTypeStats();
    const share = createUnconstrainedShare(stats);
    expect(share()).toBe(1);
    stats.observe(whole(2, ['T4']));
    stats.observe(whole(1));
    stats.observe({ gpu: { kind: 'none' }, topology: {}, cpuMilli: 4000 });
    stats.observe({ gpu: { kind: 'fraction', milli: 500 }, topology: {} });
    // Published at 4: 2000 of 3500 milli name T4; CPU-only pods ask for none.
    expect(share()).toBeCloseTo(1500 / 3500, 12);
  });
});

describe('phalanx on capacity that model-constrained pods need', () => {
  const bf = PHALANX_WEIGHTS.bestFit;
  // A 2-GPU T4 node and an 8-GPU G2 node, both empty, host resources untracked. Learned table
  // (16 observations, published at 16): `rest` unconstrained 1-GPU pods, 2 unconstrained 8-GPU
  // pods, `t4Only` 1-GPU pods constrained to T4. Both nodes are shown to the policy first, so it
  // knows 2 GPU models when the table is published.
  const t4 = node('t4', 'T4', 2);
  const g2 = node('g2', 'G2', 8);
  const learned = (t4Only: number) => {
    const policy = createPhalanxPolicy();
    policy.observe?.(whole(1));
    policy.score(onDevice0(t4, whole(1)));
    policy.score(onDevice0(g2, whole(1)));
    for (let i = 1; i < 16 - 2 - t4Only; i++) policy.observe?.(whole(1));
    for (let i = 0; i < 2; i++) policy.observe?.(whole(8));
    for (let i = 0; i < t4Only; i++) policy.observe?.(whole(1, ['T4']));
    return policy;
  };

  it('sends a pod that can run anywhere away from a model constrained pods need', () => {
    const policy = learned(10);
    // T4: fragment for the 8-GPU type falls 2000 -> 1000 (x2 pods): increase -125 per pod;
    // best-fit leftover 0.5 * 1000/8000 = 0.0625; scarcity of T4: 10000 of 30000 learned milli
    // name it, 2 models known: 2/3, x 1000 milli taken. No host: nothing stranded.
    expect(policy.score(onDevice0(t4, whole(1)))).toBeCloseTo(125 - bf * 0.0625 - 2000 / 3, 9);
    // G2: 8-GPU type 0 -> 7000 (x2), T4-only type 8000 -> 7000 (x10): increase 4000/16 = 250;
    // leftover 0.5 * 7000/8000 = 0.4375; no pod is constrained to G2.
    expect(policy.score(onDevice0(g2, whole(1)))).toBeCloseTo(-250 - bf * 0.4375, 9);
    expect(policy.score(onDevice0(t4, whole(1)))).toBeLessThan(policy.score(onDevice0(g2, whole(1))));
  });

  it('keeps preferring the small node when no pod names a model', () => {
    const policy = learned(0);
    // T4 as above without the constrained charge; G2: 8-GPU type 0 -> 7000 (x2) = 14000/16.
    expect(policy.score(onDevice0(t4, whole(1)))).toBeCloseTo(125 - bf * 0.0625, 9);
    expect(policy.score(onDevice0(g2, whole(1)))).toBeCloseTo(-875 - bf * 0.4375, 9);
  });

  it('takes its best-fit weight from the caller (cross-validation) and defaults to the shipped one', () => {
    const withWeight = (bestFit: number) => {
      const policy = createPhalanxPolicy({ ...PHALANX_WEIGHTS, bestFit });
      for (let i = 0; i < 8; i++) policy.observe?.(whole(1));
      for (let i = 0; i < 2; i++) policy.observe?.(whole(8));
      for (let i = 0; i < 6; i++) policy.observe?.(whole(1, ['T4']));
      return policy;
    };
    // T4 as in the first case, but only T4 is known (named by pods): scarcity 0.2.
    expect(withWeight(0).score(onDevice0(t4, whole(1)))).toBeCloseTo(125 - 200, 9);
    expect(withWeight(160).score(onDevice0(t4, whole(1)))).toBeCloseTo(125 - 10 - 200, 9);
    expect(withWeight(PHALANX_WEIGHTS.bestFit).score(onDevice0(t4, whole(1)))).toBeCloseTo(
      125 - PHALANX_WEIGHTS.bestFit * 0.0625 - 200,
      9,
    );
  });
});
