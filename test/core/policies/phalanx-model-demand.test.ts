import { describe, expect, it } from 'vitest';
import {
  cpuStarvedGpuMilli,
  createCpuPerGpuMilli,
  createModelScarcity,
  createUnconstrainedShare,
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

describe('cpuStarvedGpuMilli (with the GPU milli taken, what the model charge prices)', () => {
  const share300 = (cpuMilli?: number): PodDemand => ({
    gpu: { kind: 'fraction', milli: 300 },
    topology: {},
    ...(cpuMilli === undefined ? {} : { cpuMilli }),
  });
  const cpuOnly = (cpuMilli: number): PodDemand => ({ gpu: { kind: 'none' }, topology: {}, cpuMilli });
  const none = (n: NodeGpuState, demand: PodDemand): Candidate => ({
    node: n,
    demand,
    assignment: { node: n.inventory.name, whole: false, devices: [] },
  });

  it('is 0 while the free CPU still covers the free GPUs at the learned ratio', () => {
    // 2000 free milli need 8000 CPU milli at 4 per GPU milli; 16000 free, 8000 taken: still covered.
    expect(cpuStarvedGpuMilli(none(node('a', 'P100', 2, 16000), cpuOnly(8000)), 4)).toBe(0);
    // A CPU-rich node: 64 vCPU for 2 GPUs, the pod takes 40 vCPU and 24 stay for 8 needed.
    expect(cpuStarvedGpuMilli(none(node('a', 'T4', 2, 64000), cpuOnly(40000)), 4)).toBe(0);
  });

  it('is the GPU milli the CPU left behind cannot serve any more', () => {
    // 16000 - 12000 = 4000 CPU milli cover 1000 of the 2000 free GPU milli: 1000 starved.
    expect(cpuStarvedGpuMilli(none(node('a', 'P100', 2, 16000), cpuOnly(12000)), 4)).toBe(1000);
    // The pod takes 300 GPU milli and 10000 CPU: 1700 free GPU milli, 6000 CPU covers 1500: 200.
    expect(cpuStarvedGpuMilli(onDevice0(node('a', 'P100', 2, 16000), share300(10000), 300), 4)).toBe(200);
  });

  it('counts only what the placement adds to GPUs already starved, and never below 0', () => {
    const busy = node('a', 'P100', 2, 16000);
    const starvedBusy: NodeGpuState = { ...busy, host: { ...busy.host!, cpuMilliUsed: 12000 } };
    // Before: 4000 CPU covers 1000 of 2000 (1000 starved). After taking 2000 CPU: 1500 starved.
    expect(cpuStarvedGpuMilli(none(starvedBusy, cpuOnly(2000)), 4)).toBe(500);
    // Taking 300 GPU milli and no CPU shrinks the starved part: 0, not a reward.
    expect(cpuStarvedGpuMilli(onDevice0(starvedBusy, share300(0), 300), 4)).toBe(0);
  });

  it('is 0 when host resources are not tracked or no CPU per GPU is learned', () => {
    expect(cpuStarvedGpuMilli(none(node('a', 'P100', 2), cpuOnly(8000)), 4)).toBe(0);
    expect(cpuStarvedGpuMilli(none(node('a', 'P100', 2, 16000), cpuOnly(16000)), 0)).toBe(0);
  });
});

describe('createCpuPerGpuMilli', () => {
  it('is the CPU milli the learned GPU demand asks per GPU milli; CPU-only pods do not count', () => {
    const stats = new PodTypeStats();
    const ratio = createCpuPerGpuMilli(stats);
    expect(ratio()).toBe(0);
    stats.observe({ ...whole(2), cpuMilli: 16000 });
    stats.observe({ gpu: { kind: 'fraction', milli: 500 }, topology: {}, cpuMilli: 4000 });
    stats.observe({ gpu: { kind: 'none' }, topology: {}, cpuMilli: 32000 });
    stats.observe(whole(1));
    // Published at 4: (16000 + 4000 + 0) CPU milli over (2000 + 500 + 1000) GPU milli.
    expect(ratio()).toBeCloseTo(20000 / 3500, 12);
  });
});

describe('the stranding price', () => {
  const cpuHeavy = (cpuMilli: number): PodDemand => ({
    gpu: { kind: 'whole', count: 1 },
    topology: {},
    cpuMilli,
  });
  // Learned: 1-GPU pods asking 4 vCPU each, so 4 CPU milli per GPU milli.
  const learn = (policy: ReturnType<typeof createPhalanxPolicy>, models?: string[]): void => {
    for (let i = 0; i < 4; i++) policy.observe?.({ ...cpuHeavy(4000), ...(models ? { models } : {}) });
  };

  it('makes phalanx pay each milli of free GPU left without CPU at its weight', () => {
    // 2 GPUs, 16 vCPU. A 1-GPU pod taking 12 vCPU leaves 1000 GPU milli and 4000 CPU milli, which
    // covers the 1000 at 4 per milli: nothing starved. Taking 14 vCPU leaves 2000 CPU milli: 500.
    const poor = node('poor', 'G2', 2, 16000);
    const score = (stranded: number, cpuMilli: number): number => {
      const policy = createPhalanxPolicy({ ...PHALANX_WEIGHTS, stranded });
      learn(policy);
      return policy.score(onDevice0(poor, cpuHeavy(cpuMilli)));
    };
    expect(score(0, 12000) - score(1, 12000)).toBe(0);
    expect(score(0, 14000) - score(1, 14000)).toBeCloseTo(500, 9);
    expect(score(0, 14000) - score(0.5, 14000)).toBeCloseTo(250, 9);
    // On a CPU-rich node the same pod leaves CPU for every free GPU: no price at any weight.
    const rich = node('rich', 'G2', 2, 64000);
    const richScore = (stranded: number): number => {
      const policy = createPhalanxPolicy({ ...PHALANX_WEIGHTS, stranded });
      learn(policy);
      return policy.score(onDevice0(rich, cpuHeavy(14000)));
    };
    expect(richScore(0) - richScore(1)).toBe(0);
  });

  it('prices for the share of learned GPU demand that names no model', () => {
    const poor = node('poor', 'G2', 2, 16000);
    const score = (stranded: number): number => {
      const policy = createPhalanxPolicy({ ...PHALANX_WEIGHTS, stranded });
      // 3000 of 4000 learned milli name a model: a quarter is free to go anywhere.
      for (let i = 0; i < 3; i++) policy.observe?.({ ...cpuHeavy(4000), models: ['T4'] });
      policy.observe?.(cpuHeavy(4000));
      return policy.score(onDevice0(poor, cpuHeavy(14000)));
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
