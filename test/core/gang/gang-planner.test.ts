import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { CLUSTER_LEVEL, levelsToTry, planGang } from '../../../src/core/gang/gang-planner.js';
import type { CommittedFact } from '../../../src/core/ledger/snapshot.js';
import type { Assignment, NodeInventory, PodDemand } from '../../../src/core/types.js';
import { generateFabric, nodeInventory } from '../../../testbed/gpu-fabric.js';

const CLIQUE = 'nvidia.com/gpu.clique';
const LEAF = 'network.topology.nvidia.com/leaf';
const ZONE = 'topology.kubernetes.io/zone';

const whole = (count: number, topology: PodDemand['topology'] = {}): PodDemand => ({
  gpu: { kind: 'whole', count },
  topology,
});
const fraction = (milli: number): PodDemand => ({ gpu: { kind: 'fraction', milli }, topology: {} });
const times = (n: number, demand: PodDemand): PodDemand[] => Array.from({ length: n }, () => demand);

/** Whole device `index` of `node` held by a bound pod. */
function used(node: string, ...indices: number[]): CommittedFact[] {
  return indices.map((index) => ({
    uid: `${node}/used-${index}`,
    assignment: { node, whole: true, devices: [{ index, milli: 1000, memoryBytes: 0 }] },
  }));
}

function stateOf(inventories: NodeInventory[], occupied: CommittedFact[] = []): ClusterState {
  const { state, rejected } = ClusterState.restore({}, inventories, occupied);
  expect(rejected).toEqual([]);
  return state;
}

/** 1 zone, 2 leafs, 2 cliques per leaf, 4 nodes per clique, 8 GPUs per node. */
const small = () =>
  generateFabric({ zones: 1, leafsPerZone: 2, cliquesPerLeaf: 2, nodesPerClique: 4, gpusPerNode: 8 });

function labelOf(state: ClusterState, node: string, level: string): string | undefined {
  return state.inventory(node)?.labels[level];
}

function expectNoDeviceReuse(assignments: readonly Assignment[]): void {
  const seen = new Map<string, number>();
  for (const a of assignments) {
    for (const d of a.devices) {
      const key = `${a.node}/${d.index}`;
      seen.set(key, (seen.get(key) ?? 0) + d.milli);
    }
  }
  for (const milli of seen.values()) expect(milli).toBeLessThanOrEqual(1000);
}

describe('levelsToTry', () => {
  const all = ['node', CLIQUE, LEAF, ZONE];
  it('goes tightest first up to the required level', () => {
    expect(levelsToTry(all, { required: LEAF })).toEqual(['node', CLIQUE, LEAF]);
  });
  it('tries the preferred level first, never past the required one', () => {
    expect(levelsToTry(all, { required: LEAF, preferred: CLIQUE })).toEqual([CLIQUE, 'node', LEAF]);
  });
  it('allows the whole cluster when nothing is required', () => {
    expect(levelsToTry(all, { preferred: LEAF })).toEqual([LEAF, 'node', CLIQUE, ZONE, CLUSTER_LEVEL]);
  });
});

describe('planGang', () => {
  it('puts a gang that fits one NVLink clique into one clique, one member per node', () => {
    const { inventories } = small();
    const state = stateOf(inventories);
    const plan = planGang(state, {
      name: 'llama-0',
      members: times(4, whole(8)),
      topology: { preferred: CLIQUE },
    });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.level).toBe(CLIQUE);
    const nodes = plan.assignments.map((a) => a.node);
    expect(new Set(nodes).size).toBe(4);
    expect(new Set(nodes.map((n) => labelOf(state, n, CLIQUE)))).toEqual(new Set([plan.domain]));
    for (const a of plan.assignments) expect(a.devices.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('does not touch the ledger', () => {
    const state = stateOf(small().inventories);
    planGang(state, { name: 'g', members: times(4, whole(8)), topology: {} });
    expect(state.totals().usedMilli).toBe(0);
  });

  it('never takes a domain that holds 3 of 4 members, and says how far it is', () => {
    const { inventories } = small();
    // One GPU in use on the first node of every clique: each clique has 3 nodes with 8 free GPUs.
    const occupied = ['z0-l0-c0-n0', 'z0-l0-c1-n0', 'z0-l1-c0-n0', 'z0-l1-c1-n0'].flatMap((n) => used(n, 7));
    const state = stateOf(inventories, occupied);
    const plan = planGang(state, {
      name: 'llama-0',
      members: times(4, whole(8)),
      topology: { required: CLIQUE },
    });
    expect(plan).toEqual({
      ok: false,
      reason:
        'group llama-0 needs 4 pods × 8 GPUs within one nvidia.com/gpu.clique domain; ' +
        'the best domain, fabric-1.000, has room for 3',
    });
  });

  it('places a gang larger than any clique within one leaf when only the leaf is required', () => {
    const state = stateOf(small().inventories);
    const plan = planGang(state, {
      name: 'big',
      members: times(6, whole(8)),
      topology: { required: LEAF, preferred: CLIQUE },
    });
    expect(plan.ok && plan.level).toBe(LEAF);
    if (!plan.ok) return;
    expect(new Set(plan.assignments.map((a) => labelOf(state, a.node, LEAF)))).toEqual(
      new Set([plan.domain]),
    );
    expect(new Set(plan.assignments.map((a) => a.node)).size).toBe(6);
  });

  it('uses the tightest level when nothing is preferred: one node for a small gang', () => {
    const state = stateOf(small().inventories);
    const plan = planGang(state, { name: 'tiny', members: times(2, whole(4)), topology: {} });
    expect(plan.ok && plan.level).toBe('node');
    if (!plan.ok) return;
    expect(plan.assignments[0]?.node).toBe(plan.assignments[1]?.node);
    expectNoDeviceReuse(plan.assignments);
  });

  it('prefers the domain the gang fills best, keeping emptier cliques whole', () => {
    const { inventories } = small();
    // Clique c0 of leaf 0 keeps 2 free nodes; every other clique has 4.
    const occupied = [...used('z0-l0-c0-n0', 0), ...used('z0-l0-c0-n1', 0)];
    const state = stateOf(inventories, occupied);
    const plan = planGang(state, {
      name: 'pair',
      members: times(2, whole(8)),
      topology: { preferred: CLIQUE },
    });
    expect(plan.ok && plan.domain).toBe('fabric-1.000');
    if (!plan.ok) return;
    expect(plan.assignments.map((a) => a.node).sort()).toEqual(['z0-l0-c0-n2', 'z0-l0-c0-n3']);
  });

  it('keeps multi-GPU members inside one NVLink island when some node allows it', () => {
    const islands = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ];
    const labels = { [CLIQUE]: 'c' };
    const inventories = [
      nodeInventory('a', 8, { islands, labels }),
      nodeInventory('b', 8, { islands, labels }),
    ];
    // a: 5 free but no island with 4 free; b: 7 free with island [4..7] whole.
    const state = stateOf(inventories, [...used('a', 0, 1, 4), ...used('b', 0)]);
    const plan = planGang(state, { name: 'isl', members: [whole(4)], topology: { required: CLIQUE } });
    expect(plan.ok && plan.assignments[0]).toEqual({
      node: 'b',
      whole: true,
      devices: [4, 5, 6, 7].map((index) => ({ index, milli: 1000, memoryBytes: 0 })),
    });
  });

  it('spans islands only when no node has an island with room', () => {
    const islands = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ];
    const state = stateOf(
      [nodeInventory('a', 8, { islands, labels: { [CLIQUE]: 'c' } })],
      used('a', 0, 1, 4),
    );
    const plan = planGang(state, { name: 'isl', members: [whole(4)], topology: { required: CLIQUE } });
    expect(plan.ok && plan.assignments[0]?.devices.map((d) => d.index)).toEqual([2, 5, 6, 7]);
  });

  it('packs a gang of half-GPU members onto shared devices of one node', () => {
    const state = stateOf(small().inventories);
    const plan = planGang(state, { name: 'halves', members: times(4, fraction(500)), topology: {} });
    expect(plan.ok && plan.level).toBe('node');
    if (!plan.ok) return;
    expect(plan.assignments.every((a) => !a.whole && a.devices[0]?.milli === 500)).toBe(true);
    expectNoDeviceReuse(plan.assignments);
    const devices = new Set(plan.assignments.map((a) => `${a.node}/${a.devices[0]?.index}`));
    expect(devices.size).toBe(2);
  });

  it('keeps the rest of a gang in the domain of its bound members', () => {
    const { inventories } = small();
    // The anchor's clique (fabric-1.011) has only 2 nodes left; others are emptier.
    const occupied = [...used('z0-l1-c1-n0', 0, 1, 2, 3, 4, 5, 6, 7), ...used('z0-l1-c1-n1', 0)];
    const state = stateOf(inventories, occupied);
    const plan = planGang(state, {
      name: 'rest',
      members: times(2, whole(8)),
      topology: { required: CLIQUE },
      anchorNodes: ['z0-l1-c1-n0'],
    });
    expect(plan.ok && plan.assignments.map((a) => a.node).sort()).toEqual(['z0-l1-c1-n2', 'z0-l1-c1-n3']);
    const tooMany = planGang(state, {
      name: 'rest',
      members: times(3, whole(8)),
      topology: { required: CLIQUE },
      anchorNodes: ['z0-l1-c1-n0'],
    });
    expect(tooMany).toEqual({
      ok: false,
      reason:
        'group rest needs 3 more pods × 8 GPUs next to its bound members on z0-l1-c1-n0 within one ' +
        'nvidia.com/gpu.clique domain; the best domain, fabric-1.011, has room for 2',
    });
  });

  it('falls back to the whole cluster for unlabelled nodes when no level is required', () => {
    const state = stateOf([nodeInventory('x', 8), nodeInventory('y', 8)]);
    const plan = planGang(state, { name: 'flat', members: times(2, whole(8)), topology: {} });
    expect(plan.ok && plan.level).toBe(CLUSTER_LEVEL);
    const denied = planGang(state, { name: 'flat', members: times(3, whole(8)), topology: {} });
    expect(denied).toEqual({
      ok: false,
      reason: 'group flat needs 3 pods × 8 GPUs; the cluster has room for 2',
    });
  });

  it('describes mixed members', () => {
    const state = stateOf([nodeInventory('x', 8, { labels: { [CLIQUE]: 'c' } })]);
    const plan = planGang(state, {
      name: 'mix',
      members: [whole(8), whole(8), whole(1)],
      topology: { required: CLIQUE },
    });
    expect(plan).toEqual({
      ok: false,
      reason:
        'group mix needs 3 pods (2 × 8 GPUs, 1 × 1 GPU) within one nvidia.com/gpu.clique domain; ' +
        'the best domain, c, has room for 1',
    });
  });
});

describe('a gang that must span the cliques of a rack', () => {
  // One rack, three cliques of one-GPU nodes with 1, 3 and 9 nodes: 13 free GPUs, no clique holds 12.
  const nodes = [
    ...Array.from({ length: 1 }, (_, i) => ['a', i] as const),
    ...Array.from({ length: 3 }, (_, i) => ['b', i] as const),
    ...Array.from({ length: 9 }, (_, i) => ['c', i] as const),
  ].map(([clique, i]) =>
    nodeInventory(`${clique}${i}`, 1, { labels: { [CLIQUE]: `c-${clique}`, [LEAF]: 'rack' } }),
  );

  it('spans as few cliques as hold it (the two largest), not every small one first', () => {
    const state = stateOf(nodes);
    const plan = planGang(state, {
      name: 'g',
      members: times(12, whole(1, { required: LEAF })),
      topology: { required: LEAF },
    });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.level).toBe(LEAF);
    const cliques = new Set(plan.assignments.map((a) => a.node.charAt(0)));
    expect([...cliques].sort()).toEqual(['b', 'c']);
  });
});

describe('a gang that must span the racks of a zone', () => {
  // Rack r1: cliques of 1, 3 and 1 one-GPU nodes; rack r2: one clique of 9. No rack holds 12.
  const spec: [string, string, number][] = [
    ['r1', 'x', 1],
    ['r1', 'y', 3],
    ['r1', 'z', 1],
    ['r2', 'w', 9],
  ];
  const nodes = spec.flatMap(([rack, clique, count]) =>
    Array.from({ length: count }, (_, i) =>
      nodeInventory(`${clique}${i}`, 1, { labels: { [CLIQUE]: `c-${clique}`, [LEAF]: rack, [ZONE]: 'z1' } }),
    ),
  );

  it('takes the roomiest rack, then the roomiest clique of the next: two cliques, not four', () => {
    const plan = planGang(stateOf(nodes), {
      name: 'g',
      members: times(12, whole(1, { required: ZONE })),
      topology: { required: ZONE },
    });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.level).toBe(ZONE);
    expect([...new Set(plan.assignments.map((a) => a.node.charAt(0)))].sort()).toEqual(['w', 'y']);
  });
});
