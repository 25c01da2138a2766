// The placement cache names the nodes changed since a generation, for results brought up to date
// node by node; past its log it says it does not know, and the result is computed afresh.
import { describe, expect, it } from 'vitest';
import { PlacementCache } from '../../../src/app/placement/placement.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { h100Node } from '../../support/scheduling-fixtures.js';

describe('PlacementCache.changedSince', () => {
  it('lists the nodes changed after a generation in order, and nothing past its log', () => {
    const state = new ClusterState();
    const cache = new PlacementCache(state);
    const start = cache.generation();
    state.applyNode(h100Node('a', 1));
    state.applyNode(h100Node('b', 1));
    state.applyNode(h100Node('a', 2));
    expect(cache.changedSince(start)).toEqual(['a', 'b', 'a']);
    expect(cache.changedSince(cache.generation())).toEqual([]);
    expect(cache.changedSince(cache.generation() + 1)).toBeUndefined();
    const middle = cache.generation();
    for (let i = 0; i < 64; i++) state.applyNode(h100Node(`n${i}`, 1));
    expect(cache.changedSince(middle)).toHaveLength(64);
    state.applyNode(h100Node('last', 1));
    expect(cache.changedSince(middle)).toBeUndefined();
    expect(cache.changedSince(middle + 1)?.at(-1)).toBe('last');
  });
});
