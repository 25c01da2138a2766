import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/core/cluster-state.js';
import { NodeLabel } from '../../src/core/names.js';
import { nodeInventory } from '../../testbed/gpu-fabric.js';
import { whole } from '../support/assignments.js';

const labels = { [NodeLabel.clique]: 'c1', [NodeLabel.leaf]: 'l1', [NodeLabel.zone]: 'z1' };

describe('ClusterState', () => {
  it('uses the default levels and keeps the graph in step with the ledger', () => {
    const state = new ClusterState();
    expect(state.graph.levels).toEqual([NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone]);
    state.applyNode(nodeInventory('a', 4, { labels }));
    state.applyNode(nodeInventory('b', 4, { labels }));
    expect(state.graph.summary(NodeLabel.clique, 'c1')?.freeWholeDevices).toBe(8);
    expect(state.reserve('p', whole('a', 0, 1), 100).ok).toBe(true);
    expect(state.graph.summary(NodeLabel.clique, 'c1')?.freeWholeDevices).toBe(6);
    expect(state.commit('p').ok).toBe(true);
    expect(state.expire(1000)).toEqual([]);
    expect(state.holding('p')?.state).toBe('committed');
    expect(state.release('p')).toBe(true);
    expect(state.graph.summary(NodeLabel.clique, 'c1')?.freeWholeDevices).toBe(8);
  });

  it('deleting a node returns its holders and takes it out of every domain', () => {
    const state = new ClusterState();
    state.applyNode(nodeInventory('a', 2, { labels }));
    state.applyNode(nodeInventory('b', 2, { labels }));
    state.commit('p', whole('a', 0));
    expect(state.deleteNode('a')).toEqual(['p']);
    expect(state.nodeState('a')).toBeUndefined();
    expect([...state.graph.nodesIn(NodeLabel.zone, 'z1')]).toEqual(['b']);
    expect(state.graph.summary(NodeLabel.zone, 'z1')?.freeWholeDevices).toBe(2);
    expect([...state.nodes()]).toEqual(['b']);
  });

  it('reports totals for metrics', () => {
    const state = new ClusterState();
    state.applyNode(nodeInventory('a', 2));
    state.commit('p', whole('a', 0));
    state.reserve('q', { node: 'a', whole: false, devices: [{ index: 1, milli: 300, memoryBytes: 0 }] }, 9);
    expect(state.totals()).toEqual({ capacityMilli: 2000, usedMilli: 1300, committedMilli: 1000 });
  });

  it('restores from inventories and bound decisions, returning what it refused', () => {
    const { state, rejected } = ClusterState.restore(
      { levels: [NodeLabel.zone] },
      [nodeInventory('a', 2, { labels })],
      [
        { uid: 'p', assignment: whole('a', 1) },
        { uid: 'q', assignment: whole('gone', 0) },
      ],
    );
    expect(rejected.map((r) => r.uid)).toEqual(['q']);
    expect(state.graph.summary(NodeLabel.zone, 'z1')?.freeWholeDevices).toBe(1);
    expect(state.inventory('a')?.devices).toHaveLength(2);
  });
});

describe('ClusterState.gpusByModel', () => {
  it('counts schedulable GPUs per model and keeps the same map until a count changes', () => {
    const state = new ClusterState();
    const empty = state.gpusByModel();
    expect([...empty]).toEqual([]);
    state.applyNode(nodeInventory('a', 8, { model: 'G2' }));
    state.applyNode(nodeInventory('b', 2, { model: 'T4' }));
    state.applyNode(nodeInventory('c', 2, { model: 'T4' }));
    state.applyNode(nodeInventory('cpu', 0, { model: '' }));
    const counted = state.gpusByModel();
    expect(new Map(counted)).toEqual(
      new Map([
        ['G2', 8],
        ['T4', 4],
      ]),
    );
    // A label change that leaves model and devices alone keeps the same object (callers compare by identity).
    state.applyNode(nodeInventory('b', 2, { model: 'T4', labels }));
    expect(state.gpusByModel()).toBe(counted);
    // Cordoned: its GPUs leave the count; relabelled to another model: they move.
    state.applyNode(nodeInventory('c', 2, { model: 'T4', unschedulable: true }));
    expect(new Map(state.gpusByModel())).toEqual(
      new Map([
        ['G2', 8],
        ['T4', 2],
      ]),
    );
    state.applyNode(nodeInventory('a', 8, { model: 'G3' }));
    expect(new Map(state.gpusByModel())).toEqual(
      new Map([
        ['G3', 8],
        ['T4', 2],
      ]),
    );
    state.deleteNode('b');
    expect(new Map(state.gpusByModel())).toEqual(new Map([['G3', 8]]));
    expect(counted).not.toBe(state.gpusByModel());
  });

  it('is counted from the inventories a restore starts from', () => {
    const { state } = ClusterState.restore(
      {},
      [
        nodeInventory('a', 4, { model: 'A100' }),
        nodeInventory('b', 4, { model: 'A100', unschedulable: true }),
      ],
      [],
    );
    expect(new Map(state.gpusByModel())).toEqual(new Map([['A100', 4]]));
  });
});
