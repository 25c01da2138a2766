import { describe, expect, it } from 'vitest';
import { bestTier, type FilterAnswer } from '../../../src/app/scheduling/best-tier.js';
import { loadConfig } from '../../../src/config/load.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { binpackService, h100Node, pendingGpuPod } from '../../support/scheduling-fixtures.js';

describe('filter settings', () => {
  it('default to every feasible node and bound the tier', () => {
    expect(loadConfig({}).filter.mode).toBe('allFeasible');
    const chosen = loadConfig({ overrides: { 'filter.mode': 'bestTier', 'filter.bestTierMaxNodes': 4 } });
    expect(chosen.filter).toEqual({ mode: 'bestTier', bestTierMaxNodes: 4, prioritizeAhead: true });
    expect(() => loadConfig({ overrides: { 'filter.bestTierMaxNodes': 0 } })).toThrow(
      /filter\.bestTierMaxNodes/,
    );
    expect(() => loadConfig({ overrides: { 'filter.mode': 'best' } })).toThrow(/filter\.mode/);
  });
});

describe('bestTier', () => {
  it('keeps the hosts with the top score in the given order', () => {
    const scored = [
      { host: 'a', score: 3 },
      { host: 'b', score: 10 },
      { host: 'c', score: 0 },
      { host: 'd', score: 10 },
    ];
    expect(bestTier(scored, 16)).toEqual(['b', 'd']);
  });

  it('keeps every host, up to the bound, when none scores above another', () => {
    const scored = ['x', 'y', 'z', 'w'].map((host) => ({ host, score: 0 }));
    expect(bestTier(scored, 3)).toEqual(['x', 'y', 'z']);
    expect(bestTier(scored, 1)).toEqual(['x']);
  });

  it('refuses a bound that is not a positive integer, naming the setting', () => {
    expect(() => bestTier([{ host: 'a', score: 1 }], 0)).toThrow(/filter\.bestTierMaxNodes/);
    expect(() => bestTier([{ host: 'a', score: 1 }], 1.5)).toThrow(/filter\.bestTierMaxNodes/);
  });
});

/** A mixed cluster: two 8-GPU pools, a 4-GPU node, CPU-only nodes; some GPUs already in use. */
function cluster(answer: FilterAnswer) {
  const state = new ClusterState();
  for (let i = 0; i < 6; i++) state.applyNode(h100Node(`a100-${i}`, 8, { pool: 'a' }));
  for (let i = 0; i < 4; i++) state.applyNode(h100Node(`h100-${i}`, 8, { pool: 'b' }));
  state.applyNode(h100Node('small-0', 4));
  state.applyNode(h100Node('cpu-0', 0));
  state.applyNode(h100Node('cpu-1', 0));
  const api = new FakeApi();
  const service = binpackService(state, api, { filterAnswer: answer });
  const bind = async (p: PodShape, node: string): Promise<string> => {
    api.add(p);
    return service.bind({ namespace: 'ml', name: p.metadata!.name!, uid: p.metadata!.uid!, node });
  };
  return { state, service, bind, api };
}

const NAMES = [
  'cpu-0',
  ...Array.from({ length: 6 }, (_, i) => `a100-${i}`),
  'small-0',
  ...Array.from({ length: 4 }, (_, i) => `h100-${i}`),
  'cpu-1',
];

describe('filter in bestTier mode', () => {
  it('answers only the nodes prioritize ranks first, and the default answers every feasible node', async () => {
    const tier = cluster({ mode: 'bestTier', bestTierMaxNodes: 16 });
    const all = cluster({ mode: 'allFeasible', bestTierMaxNodes: 16 });
    // The same partial fill in both: two nodes with some GPUs taken, so binpack prefers them.
    for (const c of [tier, all]) {
      expect(await c.bind(pendingGpuPod('w1', { gpus: 6 }), 'a100-2')).toBe('');
      expect(await c.bind(pendingGpuPod('w2', { gpus: 2 }), 'h100-1')).toBe('');
    }
    const probe = pendingGpuPod('p', { gpus: 1 });
    const feasible = all.service.filter(probe, NAMES).feasible;
    expect(feasible).not.toContain('cpu-0');
    expect(feasible.length).toBeGreaterThan(2);
    const scores = all.service.prioritize(probe, feasible);
    const top = Math.max(...scores.map((s) => s.score));
    const expected = scores.filter((s) => s.score === top).map((s) => s.host);
    expect(expected.length).toBeLessThan(feasible.length);

    const narrowed = tier.service.filter(probe, NAMES);
    expect(narrowed.feasible).toEqual(expected);
    expect(narrowed.failed).toEqual({});
    // The scheduler's prioritize over the tier then finds nothing to tell apart or one best node.
    const again = tier.service.prioritize(probe, narrowed.feasible);
    expect(new Set(again.map((s) => s.host))).toEqual(new Set(expected));
  });

  it('binds on a tier node and keeps the ledger in step', async () => {
    const c = cluster({ mode: 'bestTier', bestTierMaxNodes: 16 });
    expect(await c.bind(pendingGpuPod('w1', { gpus: 4 }), 'h100-3')).toBe('');
    const share = pendingGpuPod('s1', { fraction: '0.5' });
    const { feasible } = c.service.filter(share, NAMES);
    expect(feasible).toEqual(['h100-3']);
    expect(await c.bind(share, 'h100-3')).toBe('');
    expect(c.api.bindings.map((b) => b.node)).toEqual(['h100-3', 'h100-3']);
    expect(c.state.holding('uid-s1')?.state).toBe('committed');
  });

  it('caps a tier of equals at bestTierMaxNodes, in the order the scheduler sent', () => {
    const c = cluster({ mode: 'bestTier', bestTierMaxNodes: 3 });
    const rotated = [...NAMES.slice(5), ...NAMES.slice(0, 5)];
    const { feasible } = c.service.filter(pendingGpuPod('p', { gpus: 8 }), rotated);
    expect(feasible).toHaveLength(3);
    const eligible = rotated.filter((n) => n.startsWith('a100') || n.startsWith('h100'));
    expect(feasible).toEqual(eligible.slice(0, 3));
  });

  it('still reports every node with its reason when none fits', () => {
    const c = cluster({ mode: 'bestTier', bestTierMaxNodes: 1 });
    const out = c.service.filter(pendingGpuPod('huge', { gpus: 16 }), NAMES);
    expect(out.feasible).toEqual([]);
    expect(Object.keys(out.unresolvable).sort()).toEqual([...NAMES].sort());
  });

  it('leaves pods without GPU requests untouched', () => {
    const c = cluster({ mode: 'bestTier', bestTierMaxNodes: 1 });
    expect(c.service.filter(pendingGpuPod('web', {}), NAMES).feasible).toEqual(NAMES);
  });
});
