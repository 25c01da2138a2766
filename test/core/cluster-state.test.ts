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
