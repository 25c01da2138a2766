// Phalanx's own preemption decision over domains: gangs whole in the cheapest domain of their level,
// shares on one device, budgets ruling a domain out, priorities never at or above the preemptor's.
import { describe, expect, it } from 'vitest';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import { budgetRefusal } from '../../../src/core/preemption/disruption-budgets.js';
import {
  planGangPreemption,
  planSharePreemption,
  type PreemptionDomain,
} from '../../../src/core/preemption/preemption-plan.js';
import type { Assignment, NodeGpuState, PodDemand } from '../../../src/core/types.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, whole } from '../../support/assignments.js';

interface Pod {
  uid: string;
  priority: number;
  assignment?: Assignment;
  gangKey?: string;
  createdAtMs?: number;
  protectedBy?: string;
}

/** Domains of `nodes` nodes × `gpus` GPUs each, their pods committed through the real ledger. */
function domains(layout: Record<string, { nodes: string[]; gpus: number }>, pods: Pod[]): PreemptionDomain[] {
  const ledger = new GpuLedger();
  for (const { nodes, gpus } of Object.values(layout))
    for (const n of nodes) ledger.upsertNode(nodeInventory(n, gpus));
  for (const p of pods) if (p.assignment) expect(ledger.commit(p.uid, p.assignment)).toEqual({ ok: true });
  return Object.entries(layout).map(([name, { nodes }]) => ({
    level: 'clique',
    name,
    nodes: nodes.map((n) => ledger.nodeState(n) as NodeGpuState),
    pods: pods.filter((p) => p.assignment !== undefined && nodes.includes(p.assignment.node)),
  }));
}

const wholeGpus = (count: number): PodDemand => ({ gpu: { kind: 'whole', count }, topology: {} });
const gangOf = (size: number, count: number): PodDemand[] =>
  Array.from({ length: size }, () => wholeGpus(count));
const CLIQUES = { a: { nodes: ['a0', 'a1'], gpus: 8 }, b: { nodes: ['b0', 'b1'], gpus: 8 } };

describe('planGangPreemption', () => {
  it('evicts the one low gang whose domain then holds the whole preemptor gang', () => {
    const pods: Pod[] = [
      { uid: 'g0', priority: 1, assignment: whole('a0', 0, 1, 2, 3, 4, 5, 6, 7), gangKey: 'ns/g' },
      { uid: 'g1', priority: 1, assignment: whole('a1', 0, 1, 2, 3, 4, 5, 6, 7), gangKey: 'ns/g' },
      // Clique b: a single pod of higher priority (5) makes it costlier, though still below 10.
      { uid: 'm0', priority: 5, assignment: whole('b0', 0, 1, 2, 3, 4, 5, 6, 7) },
      { uid: 'l1', priority: 1, assignment: whole('b1', 0, 1, 2, 3, 4, 5, 6, 7) },
    ];
    const d = planGangPreemption({
      domains: domains(CLIQUES, pods),
      members: gangOf(2, 8),
      preemptorPriority: 10,
    });
    expect(d).toMatchObject({ kind: 'victims', domain: 'a', uids: ['g0', 'g1'] });
    if (d.kind !== 'victims') return;
    expect(d.assignments.map((a) => a.node).sort()).toEqual(['a0', 'a1']);
  });

  it('never evicts part of a gang: a gang member elsewhere goes with it', () => {
    const pods: Pod[] = [
      { uid: 'g0', priority: 1, assignment: whole('a0', 0, 1, 2, 3, 4, 5, 6, 7), gangKey: 'ns/g' },
      { uid: 'x', priority: 1, assignment: whole('a1', 0, 1, 2, 3, 4, 5, 6, 7) },
    ];
    const [a] = domains({ a: CLIQUES.a }, pods);
    const withRemote: PreemptionDomain = {
      ...(a as PreemptionDomain),
      remoteMembers: new Map([['ns/g', [{ uid: 'g9', node: 'z0', priority: 1, gpus: 8 }]]]),
    };
    const d = planGangPreemption({ domains: [withRemote], members: gangOf(2, 8), preemptorPriority: 10 });
    expect(d).toMatchObject({ kind: 'victims', uids: ['g0', 'g9', 'x'] });
  });

  it('prefers the domain with the fewest GPUs evicted, then the fewest pods, then the youngest', () => {
    const pods: Pod[] = [
      { uid: 'a-old', priority: 1, assignment: whole('a0', 0, 1, 2, 3, 4, 5, 6, 7), createdAtMs: 1_000 },
      { uid: 'b-young', priority: 1, assignment: whole('b0', 0, 1, 2, 3, 4, 5, 6, 7), createdAtMs: 9_000 },
    ];
    const d = planGangPreemption({
      domains: domains(CLIQUES, pods),
      members: gangOf(2, 8),
      preemptorPriority: 10,
    });
    expect(d).toMatchObject({ kind: 'victims', domain: 'b', uids: ['b-young'] });
  });

  it('never evicts pods of equal or higher priority, nor protected ones', () => {
    const pods: Pod[] = [
      { uid: 'eq', priority: 10, assignment: whole('a0', 0, 1, 2, 3, 4, 5, 6, 7) },
      {
        uid: 'kueue',
        priority: 1,
        assignment: whole('b0', 0, 1, 2, 3, 4, 5, 6, 7),
        protectedBy: 'managed by Kueue',
      },
    ];
    const d = planGangPreemption({
      domains: domains(CLIQUES, pods),
      members: gangOf(2, 8),
      preemptorPriority: 10,
    });
    expect(d.kind).toBe('none');
  });

  it('answers fits when a domain holds the gang without evicting anything', () => {
    const pods: Pod[] = [{ uid: 'x', priority: 1, assignment: whole('a0', 0) }];
    const d = planGangPreemption({
      domains: domains(CLIQUES, pods),
      members: gangOf(2, 8),
      preemptorPriority: 10,
    });
    expect(d).toEqual({ kind: 'fits', domain: 'b' });
  });

  it('moves to another domain when a budget forbids the cheapest set', () => {
    const pods: Pod[] = [
      { uid: 'cheap', priority: 1, assignment: whole('a0', 0, 1, 2, 3, 4, 5, 6, 7) },
      { uid: 'dear', priority: 2, assignment: whole('b0', 0, 1, 2, 3, 4, 5, 6, 7) },
    ];
    const labels: Record<string, Record<string, string>> = { cheap: { app: 'db' }, dear: { app: 'batch' } };
    const refusal = (uids: readonly string[]) =>
      budgetRefusal(
        uids.map((uid) => ({ metadata: { namespace: 'ns', labels: labels[uid] ?? {} } })),
        [{ namespace: 'ns', name: 'db', selector: { matchLabels: { app: 'db' } }, disruptionsAllowed: 0 }],
      );
    const d = planGangPreemption({
      domains: domains(CLIQUES, pods),
      members: gangOf(2, 8),
      preemptorPriority: 10,
      refusal,
    });
    expect(d).toMatchObject({ kind: 'victims', domain: 'b', uids: ['dear'], refused: ['a'] });
  });
});

describe('planSharePreemption', () => {
  const nodes = { n0: { nodes: ['n0'], gpus: 2 }, n1: { nodes: ['n1'], gpus: 1 } };
  const half: PodDemand = { gpu: { kind: 'fraction', milli: 500 }, topology: {} };

  it('evicts the fewest low shares on one device', () => {
    const pods: Pod[] = [
      // n0 device 0: four quarters (two would have to go); device 1: whole, above the preemptor.
      ...[0, 1, 2, 3].map((i) => ({ uid: `q${i}`, priority: 1, assignment: share('n0', 0, 250) })),
      { uid: 'w', priority: 20, assignment: whole('n0', 1) },
      // n1: one low half and one half above the preemptor: the low half alone frees enough.
      { uid: 'h-low', priority: 1, assignment: share('n1', 0, 500) },
      { uid: 'h-high', priority: 20, assignment: share('n1', 0, 500) },
    ];
    const d = planSharePreemption({
      domains: domains(nodes, pods).map((x) => ({ ...x, level: 'node' })),
      demand: half,
      preemptorPriority: 10,
    });
    expect(d).toMatchObject({ kind: 'victims', domain: 'n1', uids: ['h-low'] });
    if (d.kind !== 'victims') return;
    expect(d.assignments).toEqual([share('n1', 0, 500)]);
  });

  it('among equal shares, evicts the youngest', () => {
    const pods: Pod[] = [
      { uid: 'old', priority: 1, assignment: share('n1', 0, 500), createdAtMs: 1_000 },
      { uid: 'young', priority: 1, assignment: share('n1', 0, 500), createdAtMs: 5_000 },
    ];
    const d = planSharePreemption({
      domains: domains({ n1: nodes.n1 }, pods).map((x) => ({ ...x, level: 'node' })),
      demand: half,
      preemptorPriority: 10,
    });
    expect(d).toMatchObject({ kind: 'victims', uids: ['young'] });
  });

  it('does not preempt pods of equal priority', () => {
    const pods: Pod[] = [{ uid: 'same', priority: 10, assignment: share('n1', 0, 800) }];
    const d = planSharePreemption({
      domains: domains({ n1: nodes.n1 }, pods).map((x) => ({ ...x, level: 'node' })),
      demand: half,
      preemptorPriority: 10,
    });
    expect(d.kind).toBe('none');
  });
});
