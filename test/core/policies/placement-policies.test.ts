import { describe, expect, it } from 'vitest';
import { createBestFitPolicy } from '../../../src/core/policies/bestfit.js';
import { createDotProductPolicy } from '../../../src/core/policies/dotprod.js';
import { createFgdPolicy } from '../../../src/core/policies/fgd.js';
import { expectedFragment, typeFragment } from '../../../src/core/policies/fragmentation.js';
import { createPackingPolicy } from '../../../src/core/policies/packing.js';
import { createPhalanxPolicy } from '../../../src/core/policies/phalanx.js';
import type { Candidate, PlacementPolicy } from '../../../src/core/policies/policy.js';
import { PodTypeStats, podTypeKey, type PodType } from '../../../src/core/policies/pod-types.js';
import { createRandomPolicy } from '../../../src/core/policies/random.js';
import type { DeviceState, NodeGpuState, PodDemand } from '../../../src/core/types.js';

function gpuNode(
  name: string,
  used: readonly number[],
  mode: DeviceState['mode'][] = [],
  cpuFree?: number,
): NodeGpuState {
  const devices = used.map((u, index) => ({
    index,
    memoryBytes: 0,
    usedMilli: u,
    usedMemoryBytes: 0,
    mode: mode[index] ?? (u === 0 ? 'free' : 'shared'),
  }));
  const inventory = {
    name,
    devices: devices.map((d) => ({ index: d.index, memoryBytes: 0 })),
    model: 'T4',
    islands: [devices.map((d) => d.index)],
    labels: {},
    unschedulable: false,
  };
  return cpuFree === undefined
    ? { inventory, devices }
    : {
        inventory,
        devices,
        host: { cpuMilli: 64000, cpuMilliUsed: 64000 - cpuFree, memoryBytes: 1, memoryBytesUsed: 0 },
      };
}

const share = (milli: number, cpuMilli?: number): PodDemand => ({
  gpu: { kind: 'fraction', milli },
  topology: {},
  ...(cpuMilli === undefined ? {} : { cpuMilli }),
});
const whole = (count: number): PodDemand => ({ gpu: { kind: 'whole', count }, topology: {} });

const onDevice = (node: NodeGpuState, index: number, demand: PodDemand): Candidate => {
  const milli = demand.gpu.kind === 'fraction' ? demand.gpu.milli : 1000;
  return {
    node,
    demand,
    assignment: {
      node: node.inventory.name,
      whole: demand.gpu.kind === 'whole',
      devices: [{ index, milli, memoryBytes: 0 }],
    },
  };
};

/** The candidate the policy ranks first. */
const preferred = (policy: PlacementPolicy, candidates: readonly Candidate[]): string =>
  candidates.reduce((a, b) => (policy.score(b) > policy.score(a) ? b : a)).node.inventory.name;

describe('fragmentation (FGD section 4)', () => {
  const share500: PodType = { cpuMilli: 0, memoryBytes: 0, gpuCount: 1, gpuMilli: 500, models: [] };
  const whole2: PodType = { cpuMilli: 0, memoryBytes: 0, gpuCount: 2, gpuMilli: 1000, models: [] };
  const view = (freeMilli: number[], cpuFree = Infinity) => ({
    model: 'T4',
    cpuFree,
    memFree: Infinity,
    freeMilli,
  });

  it('counts free milli on devices too small for the type', () => {
    expect(typeFragment(view([300, 600, 1000]), share500)).toBe(300);
    // Two free devices: the 300 and 600 partial ones are fragments for whole devices.
    expect(typeFragment(view([300, 600, 1000, 1000]), whole2)).toBe(900);
  });

  it('counts every free milli when the type cannot run at all', () => {
    expect(typeFragment(view([300, 600, 1000]), whole2)).toBe(1900);
    expect(typeFragment(view([1000], 100), { ...share500, cpuMilli: 200 })).toBe(1000);
    expect(typeFragment(view([1000]), { ...share500, models: ['A100'] })).toBe(1000);
  });

  it('weights types by their observed counts', () => {
    const table = {
      version: 1,
      total: 4,
      gpuLess: 0,
      types: [
        { type: share500, count: 3 },
        { type: whole2, count: 1 },
      ],
    };
    // share500: 300; whole2: all 1900 -> 3*300 + 1*1900.
    expect(expectedFragment(view([300, 600, 1000]), table)).toBe(2800);
  });
});

describe('placement policies on crafted nodes', () => {
  it('bestfit picks the tightest node', () => {
    const candidates = [
      gpuNode('roomy', [0, 0, 0, 0]),
      gpuNode('tight', [1000, 1000, 0, 0], ['whole', 'whole']),
    ].map((n) => onDevice(n, 2, whole(1)));
    expect(preferred(createBestFitPolicy(), candidates)).toBe('tight');
  });

  it('fgd avoids the placement that strands capacity where best fit would take it', () => {
    const fgd = createFgdPolicy();
    for (let i = 0; i < 8; i++) fgd.observe?.(share(500));
    // A 200 share: on "open" 700 -> 500 free, still fits a 500 share (no new fragment);
    // on "snug" 600 -> 400 free, a 500 share no longer fits (400 milli stranded).
    const candidates = [
      onDevice(gpuNode('open', [300]), 0, share(200)),
      onDevice(gpuNode('snug', [400]), 0, share(200)),
    ];
    expect(preferred(createBestFitPolicy(), candidates)).toBe('snug');
    expect(preferred(fgd, candidates)).toBe('open');
    expect(fgd.score(candidates[1]!)).toBeLessThan(fgd.score(candidates[0]!));
  });

  it('fgd changes its version only when the learned shares move', () => {
    const stats = new PodTypeStats({ refreshEvery: 4 });
    const fgd = createFgdPolicy(stats);
    const versions: number[] = [];
    const observe = (demand: PodDemand) => {
      fgd.observe?.(demand);
      versions.push(fgd.version?.() ?? -1);
    };
    // One shape only: its share stays 1, so the steps at 2, 4 and 8 publish nothing new.
    for (let i = 0; i < 8; i++) observe(share(500));
    expect(versions).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    // A second shape: at 12 observations it holds 4/12 of the table, a shift of 1/3.
    for (let i = 0; i < 4; i++) observe(share(200));
    expect(versions.slice(8)).toEqual([1, 1, 1, 2]);
    // The next step, at 16: 6/16 against the published 4/12, a shift of 0.04.
    for (let i = 0; i < 4; i++) observe(i % 2 === 0 ? share(200) : share(500));
    expect(versions.slice(12)).toEqual([2, 2, 2, 3]);
  });

  it('republishes at every step with minShift 0, and at the next step after markChanged', () => {
    const eager = new PodTypeStats({ refreshEvery: 4, minShift: 0 });
    const versions: number[] = [];
    for (let i = 0; i < 6; i++) {
      eager.observe(share(500));
      versions.push(eager.table().version);
    }
    // Published after 1, 2 and 4 observations, then every 4.
    expect(versions).toEqual([1, 2, 2, 3, 3, 3]);
    // A shift under 1 %: 97 to 95 at the step of 192 against the 64:64 published at 128.
    const steady = new PodTypeStats({ refreshEvery: 64 });
    for (let i = 0; i < 128; i++) steady.observe(i % 2 === 0 ? share(500) : share(200));
    const published = steady.table().version;
    for (let i = 0; i < 64; i++) steady.observe(i < 33 ? share(500) : share(200));
    expect(steady.table().version).toBe(published);
    const marked = new PodTypeStats({ refreshEvery: 4 });
    marked.observe(share(500));
    marked.markChanged();
    marked.observe(share(500));
    expect(marked.table().version).toBe(2);
    marked.observe(share(500));
    marked.observe(share(500));
    expect(marked.table().version).toBe(2);
  });

  it('phalanx shares fgd preference and breaks equal fragmentation by best fit', () => {
    const phalanx = createPhalanxPolicy();
    for (let i = 0; i < 8; i++) phalanx.observe?.(share(500));
    const strand = [
      onDevice(gpuNode('open', [300]), 0, share(200)),
      onDevice(gpuNode('snug', [400]), 0, share(200)),
    ];
    expect(preferred(phalanx, strand)).toBe('open');
    // A whole GPU on either 2-GPU node adds no fragment for 500 shares; the fuller node wins.
    const equal = [gpuNode('empty', [0, 0]), gpuNode('half', [500, 0])].map((n) => onDevice(n, 1, whole(1)));
    expect(preferred(phalanx, equal)).toBe('half');
  });

  it('packing fills an already shared device first', () => {
    const node = gpuNode('n', [0, 300]);
    const candidates = [onDevice(node, 0, share(200)), onDevice(node, 1, share(200))];
    const packing = createPackingPolicy();
    expect(packing.score(candidates[1]!)).toBeGreaterThan(packing.score(candidates[0]!));
  });

  it('dotprod prefers the node whose free resources align least with the request', () => {
    const candidates = [gpuNode('free', [0, 0], [], 64000), gpuNode('busy', [1000, 0], ['whole'], 8000)].map(
      (n) => onDevice(n, 1, { ...whole(1), cpuMilli: 4000 }),
    );
    expect(preferred(createDotProductPolicy(), candidates)).toBe('busy');
  });

  it('random scores with the injected randomness', () => {
    const values = [0.25, 0.75];
    const random = createRandomPolicy({ next: () => values.shift() ?? 0 });
    const c = onDevice(gpuNode('n', [0]), 0, whole(1));
    expect([random.score(c), random.score(c)]).toEqual([0.25, 0.75]);
  });
});

describe('PodTypeStats', () => {
  it('weights types as asked and keys demands by shape', () => {
    const stats = new PodTypeStats({ weight: (t) => t.gpuCount + 1 });
    stats.observe(share(300, 1000));
    stats.observe(whole(2));
    stats.observe({ gpu: { kind: 'none' }, topology: {}, cpuMilli: 500 });
    stats.observe({ gpu: { kind: 'none' }, topology: {}, cpuMilli: 500 });
    // Published after 1, 2 and 4 observations: weights 2 (share), 3 (two GPUs), 1 + 1 (no GPU).
    expect(stats.table()).toMatchObject({ version: 3, total: 7, gpuLess: 2 });
    expect(podTypeKey(share(300, 1000))).toBe(podTypeKey(share(300, 1000)));
    expect(podTypeKey(share(300, 1000))).not.toBe(podTypeKey(share(300, 2000)));
  });
});
