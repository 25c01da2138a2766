import { describe, expect, it } from 'vitest';
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
const share = (milli: number) => ({ gpu: { kind: 'fraction' as const, milli }, topology: {} });

describe('SimCluster groups', () => {
  it('groups identical nodes, splits a changed one off and reuses emptied slots', () => {
    const cluster = new SimCluster([node('a', 2), node('b', 2), node('c', 2)]);
    expect(cluster.groups().map((g) => g.members.length)).toEqual([3]);
    const [a] = cluster.nodes;
    if (!a) throw new Error('no node');
    cluster.place(
      a,
      { node: 'a', whole: false, devices: [{ index: 0, milli: 300, memoryBytes: 0 }] },
      share(300),
    );
    expect(
      cluster
        .groups()
        .map((g) => g.members.length)
        .sort(),
    ).toEqual([1, 2]);
    const slot = a.group?.slot ?? -1;
    const generation = cluster.slotGeneration[slot];
    // a leaves its one-member group: the slot is freed and taken again by a's new state.
    cluster.place(
      a,
      { node: 'a', whole: false, devices: [{ index: 0, milli: 300, memoryBytes: 0 }] },
      share(300),
    );
    expect(cluster.slotCount()).toBe(2);
    expect(a.group?.slot).toBe(slot);
    expect(cluster.slotGeneration[slot]).toBe((generation ?? 0) + 1);
    expect(a.used).toEqual([600, 0]);
  });
});

describe('simulate score cache', () => {
  it('rescoring a reused slot: each share lands where best fit says, never on a stale placement', () => {
    // Pod 1 splits one node X off the two-node group; pod 2 fills X's shared device, so X's group
    // dies and X's new state reuses its slot; pod 3 must see X's new state (device 1 free).
    const cluster = new SimCluster([node('a', 2), node('b', 2)]);
    const pods = [tracePod('p1', 1, 500), tracePod('p2', 1, 500), tracePod('p3', 1, 500)];
    const series = simulate(cluster, pods, createBestFitPolicy(), {
      pureScores: true,
      observe: true,
      rng: seededRng(3),
    });
    expect(series.failedPods).toBe(0);
    const used = cluster.nodes.map((n) => n.used.join(',')).sort();
    expect(used).toEqual(['0,0', '1000,500']);
  });
});
