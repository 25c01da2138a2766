import { describe, expect, it } from 'vitest';
import { NodeLabel } from '../../../src/core/names.js';
import { TopologyGraph } from '../../../src/core/topology/topology-graph.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, stateOf, whole } from '../../support/assignments.js';

const LEVELS = [NodeLabel.clique, NodeLabel.leaf];
const labels = (clique: string | undefined, leaf: string): Record<string, string> => ({
  ...(clique === undefined ? {} : { [NodeLabel.clique]: clique }),
  [NodeLabel.leaf]: leaf,
});

describe('TopologyGraph domains', () => {
  it('groups nodes by label value per level; a node without the label is its own domain', () => {
    const g = new TopologyGraph(LEVELS);
    g.upsertNode('n1', labels('c1', 'leaf-a'));
    g.upsertNode('n2', labels('c1', 'leaf-a'));
    g.upsertNode('n3', labels(undefined, 'leaf-a'));
    expect(g.domainOf('n1', NodeLabel.clique)).toBe('c1');
    expect(g.domainOf('n3', NodeLabel.clique)).toBe('~node:n3');
    expect(g.domainOf('n3', 'node')).toBe('n3');
    expect(g.domains(NodeLabel.clique).sort()).toEqual(['c1', '~node:n3']);
    expect([...g.nodesIn(NodeLabel.leaf, 'leaf-a')].sort()).toEqual(['n1', 'n2', 'n3']);
    expect([...g.nodesIn(NodeLabel.clique, 'c9')]).toEqual([]);
    expect(g.allLevels).toEqual(['node', NodeLabel.clique, NodeLabel.leaf]);
  });

  it('moves a relabelled node with its capacity and drops emptied domains', () => {
    const g = new TopologyGraph(LEVELS);
    g.upsertNode('n1', labels('c1', 'leaf-a'));
    g.updateCapacity('n1', stateOf(nodeInventory('n1', 4), whole('n1', 0)));
    g.upsertNode('n1', labels('c2', 'leaf-a'));
    expect(g.domains(NodeLabel.clique)).toEqual(['c2']);
    expect(g.summary(NodeLabel.clique, 'c2')?.freeWholeDevices).toBe(3);
    expect(g.summary(NodeLabel.clique, 'c1')).toBeUndefined();
    g.removeNode('n1');
    expect(g.domains(NodeLabel.leaf)).toEqual([]);
    expect(g.hasNode('n1')).toBe(false);
  });

  it('rejects unknown and repeated levels', () => {
    const g = new TopologyGraph(LEVELS);
    expect(() => g.domains('rack')).toThrow(/unknown topology level "rack"/);
    expect(() => new TopologyGraph(['x', 'x'])).toThrow(/repeat/);
    expect(() => new TopologyGraph(['node'])).toThrow(/implicit/);
  });

  it('ignores capacity updates for nodes it does not hold', () => {
    const g = new TopologyGraph(LEVELS);
    expect(g.updateCapacity('ghost', stateOf(nodeInventory('ghost', 1)))).toBe(false);
    expect(g.domains('node')).toEqual([]);
  });
});

describe('domain summaries', () => {
  it('sum free whole devices, free milli, nodes with k free devices and a device histogram', () => {
    const g = new TopologyGraph(LEVELS);
    g.upsertNode('n1', labels('c1', 'leaf-a'));
    g.upsertNode('n2', labels('c1', 'leaf-a'));
    g.upsertNode('n3', labels('c2', 'leaf-a'));
    g.updateCapacity('n1', stateOf(nodeInventory('n1', 4), whole('n1', 0), share('n1', 1, 350)));
    g.updateCapacity('n2', stateOf(nodeInventory('n2', 4)));
    g.updateCapacity('n3', stateOf(nodeInventory('n3', 2, { unschedulable: true })));
    const c1 = g.summary(NodeLabel.clique, 'c1');
    expect(c1?.toJSON()).toEqual({
      nodeCount: 2,
      freeWholeDevices: 6,
      freeMilli: 650 + 6000,
      nodesByFreeWhole: [0, 0, 1, 0, 1],
      deviceBuckets: [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 6],
    });
    expect([1, 2, 3, 4, 5].map((k) => c1?.nodesWithFreeWhole(k))).toEqual([2, 2, 1, 1, 0]);
    expect(c1?.maxFreeWholeOnNode()).toBe(4);
    expect(c1?.devicesWithFreeMilli(600)).toBe(7);
    expect(c1?.devicesWithFreeMilli(650)).toBe(6);
    // The cordoned node counts as a node but offers nothing.
    expect(g.summary(NodeLabel.clique, 'c2')?.toJSON()).toMatchObject({
      nodeCount: 1,
      freeWholeDevices: 0,
      freeMilli: 0,
    });
    expect(g.summary(NodeLabel.leaf, 'leaf-a')?.freeWholeDevices).toBe(6);
    expect([...g.summaries(NodeLabel.clique)].map(([d, s]) => [d, s.nodeCount])).toEqual([
      ['c1', 2],
      ['c2', 1],
    ]);
  });

  it('replaces a node contribution on update instead of adding to it', () => {
    const g = new TopologyGraph(LEVELS);
    g.upsertNode('n1', labels('c1', 'leaf-a'));
    g.updateCapacity('n1', stateOf(nodeInventory('n1', 2)));
    g.updateCapacity('n1', stateOf(nodeInventory('n1', 2), whole('n1', 1)));
    expect(g.summary(NodeLabel.clique, 'c1')?.freeWholeDevices).toBe(1);
    g.updateCapacity('n1', undefined);
    expect(g.summary(NodeLabel.clique, 'c1')?.toJSON()).toMatchObject({ nodeCount: 1, freeWholeDevices: 0 });
  });
});
