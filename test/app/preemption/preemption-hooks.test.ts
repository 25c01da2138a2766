// Where preemption meets single-pod scheduling: a share that fits nowhere is handed over with the
// nodes it was offered, and capacity held for a preemptor (its own reservation) is offered to it alone.
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { nodeInventory } from '../../../src/core/inventory.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import type { PodDemand } from '../../../src/core/types.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { share } from '../../support/assignments.js';
import { binpackService } from '../../support/scheduling-fixtures.js';

const gpuNode = (name: string) =>
  nodeInventory({
    metadata: { name, labels: { 'nvidia.com/gpu.memory': '81920', 'nvidia.com/gpu.product': 'H100' } },
    status: { allocatable: { 'nvidia.com/gpu': '1' } },
  });

const half = (name: string): PodShape => ({
  metadata: { name, namespace: 'ml', uid: `uid-${name}`, annotations: { 'phalanx.dev/gpu-fraction': '0.5' } },
  spec: { containers: [{ name: 'main' }] },
  status: { phase: 'Pending' },
});

function world() {
  const state = new ClusterState();
  state.applyNode(gpuNode('n1'));
  state.applyNode(gpuNode('n2'));
  const api = new FakeApi();
  const handed: { pod: string; demand: PodDemand; offered: readonly string[] }[] = [];
  const service = binpackService(state, api, {
    noRoom: (pod, demand, offered) => handed.push({ pod: pod.metadata?.name ?? '', demand, offered }),
  });
  return { state, service, handed };
}

describe('scheduling hooks for preemption', () => {
  it('hands over a share that fits on no offered node, with those nodes', () => {
    const { state, service, handed } = world();
    expect(state.commit('a', share('n1', 0, 800)).ok).toBe(true);
    expect(state.commit('b', share('n2', 0, 800)).ok).toBe(true);
    const out = service.filter(half('p'), ['n1', 'n2']);
    expect(out.feasible).toEqual([]);
    expect(handed).toMatchObject([
      { pod: 'p', offered: ['n1', 'n2'], demand: { gpu: { kind: 'fraction', milli: 500 } } },
    ]);
  });

  it('does not hand over a share that fits', () => {
    const { service, handed } = world();
    expect(service.filter(half('p'), ['n1', 'n2']).feasible).toEqual(['n1', 'n2']);
    expect(handed).toEqual([]);
  });

  it('offers a preemptor only the node its reservation holds, and no one else that capacity', () => {
    const { state, service, handed } = world();
    expect(state.commit('a', share('n1', 0, 500)).ok).toBe(true);
    expect(state.commit('b', share('n2', 0, 800)).ok).toBe(true);
    // The preemption controller holds n1's free half for p.
    expect(state.reserve('uid-p', share('n1', 0, 500), 2_000_000).ok).toBe(true);
    expect(service.filter(half('p'), ['n1', 'n2']).feasible).toEqual(['n1']);
    expect(service.filter(half('other'), ['n1', 'n2']).feasible).toEqual([]);
    expect(handed.map((h) => h.pod)).toEqual(['other']);
  });
});
