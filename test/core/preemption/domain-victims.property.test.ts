// Property tests for the domain victim choice (a gang of whole-GPU members in one domain), against a
// model written here: a gang of k members × c GPUs fits when the nodes' free devices, counted per node
// in groups of c, hold k members; every set of evictable units is tried for the cheapest answer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packMembers } from '../../../src/core/gang/domain-packing.js';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import { budgetRefusal } from '../../../src/core/preemption/disruption-budgets.js';
import { selectDomainVictims } from '../../../src/core/preemption/domain-victims.js';
import { planGangPreemption } from '../../../src/core/preemption/preemption-plan.js';
import type { RemoteMember, VictimCandidate } from '../../../src/core/preemption/victim-units.js';
import type { NodeGpuState, PodDemand } from '../../../src/core/types.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { whole } from '../../support/assignments.js';
import { expectRuleAbiding, type ModelUnit } from './victim-model.js';

interface Scenario {
  nodes: NodeGpuState[];
  gpusPerNode: number;
  pods: (VictimCandidate & { node: string; devices: number[] })[];
  remote: Map<string, RemoteMember[]>;
  members: number;
  perMember: number;
  priority: number;
}

const scenarioArb = fc
  .record({
    nodes: fc.integer({ min: 1, max: 3 }),
    gpus: fc.integer({ min: 2, max: 4 }),
    pods: fc.array(
      fc.record({
        node: fc.nat(2),
        first: fc.nat(3),
        count: fc.integer({ min: 1, max: 2 }),
        priority: fc.integer({ min: 0, max: 3 }),
        gang: fc.constantFrom(undefined, undefined, 'ns/g1', 'ns/g2'),
      }),
      { maxLength: 8 },
    ),
    remote: fc.array(
      fc.record({ gang: fc.constantFrom('ns/g1', 'ns/g2'), priority: fc.integer({ min: 0, max: 4 }) }),
      {
        maxLength: 2,
      },
    ),
    members: fc.integer({ min: 1, max: 3 }),
    perMember: fc.integer({ min: 1, max: 3 }),
    priority: fc.integer({ min: 1, max: 4 }),
  })
  .map((raw): Scenario => {
    const ledger = new GpuLedger();
    const names = Array.from({ length: raw.nodes }, (_, i) => `n${i}`);
    for (const n of names) ledger.upsertNode(nodeInventory(n, raw.gpus));
    const pods: Scenario['pods'] = [];
    raw.pods.forEach((p, i) => {
      const node = names[p.node % raw.nodes] as string;
      const devices = Array.from({ length: p.count }, (_, k) => p.first + k).filter((d) => d < raw.gpus);
      if (devices.length === 0) return;
      const assignment = whole(node, ...devices);
      if (!ledger.commit(`p${i}`, assignment).ok) return;
      pods.push({
        uid: `p${i}`,
        priority: p.priority,
        assignment,
        node,
        devices,
        ...(p.gang ? { gangKey: p.gang } : {}),
      });
    });
    const remote = new Map<string, RemoteMember[]>();
    raw.remote.forEach((r, i) =>
      remote.set(r.gang, [
        ...(remote.get(r.gang) ?? []),
        { uid: `r${i}`, node: 'far', priority: r.priority, gpus: 1 },
      ]),
    );
    return {
      nodes: names.map((n) => ledger.nodeState(n) as NodeGpuState),
      gpusPerNode: raw.gpus,
      pods,
      remote,
      members: raw.members,
      perMember: raw.perMember,
      priority: raw.priority,
    };
  });

function modelFits(s: Scenario, gone: ReadonlySet<string>): boolean {
  let room = 0;
  for (const node of s.nodes) {
    const used = new Set(
      s.pods.filter((p) => p.node === node.inventory.name && !gone.has(p.uid)).flatMap((p) => p.devices),
    );
    room += Math.floor((s.gpusPerNode - used.size) / s.perMember);
  }
  return room >= s.members;
}

function modelUnits(s: Scenario): ModelUnit[] {
  const byKey = new Map<string, Scenario['pods']>();
  for (const p of s.pods) byKey.set(p.gangKey ?? p.uid, [...(byKey.get(p.gangKey ?? p.uid) ?? []), p]);
  return [...byKey.entries()].map(([key, members]) => {
    const remote = members[0]?.gangKey !== undefined ? (s.remote.get(key) ?? []) : [];
    const priorities = [...members.map((m) => m.priority), ...remote.map((r) => r.priority)];
    return {
      uids: members.map((m) => m.uid),
      remote,
      priorities,
      gpus: members.reduce((n, m) => n + m.devices.length, 0) + remote.length,
    };
  });
}
const demands = (s: Scenario): PodDemand[] =>
  Array.from({ length: s.members }, () => ({ gpu: { kind: 'whole', count: s.perMember }, topology: {} }));
const packFits = (s: Scenario) => (nodes: readonly NodeGpuState[]) =>
  packMembers(nodes, demands(s), { strictIslands: false }).placed === s.members;

describe('selectDomainVictims properties', () => {
  it('frees enough, evicts gangs whole, spares equal and higher priorities, is minimal and cheapest', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const choice = selectDomainVictims({
          nodes: s.nodes,
          pods: s.pods,
          fits: packFits(s),
          preemptorPriority: s.priority,
          remoteMembers: s.remote,
        });
        const model = {
          priority: s.priority,
          pods: s.pods,
          units: modelUnits(s),
          fits: (gone: ReadonlySet<string>) => modelFits(s, gone),
        };
        expectRuleAbiding(model, choice, true);
      }),
      { numRuns: 800 },
    );
  });

  it('never chooses a set a budget forbids', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 0, max: 7 }), (s, guarded) => {
        // Pod p<guarded> is covered by a budget allowing no disruption.
        const labelled = `p${guarded}`;
        const d = planGangPreemption({
          domains: [{ level: 'clique', name: 'd', nodes: s.nodes, pods: s.pods, remoteMembers: s.remote }],
          members: demands(s),
          preemptorPriority: s.priority,
          refusal: (uids) =>
            budgetRefusal(
              uids.map((uid) => ({
                metadata: { namespace: 'ns', labels: uid === labelled ? { guard: 'y' } : {} },
              })),
              [
                {
                  namespace: 'ns',
                  name: 'guard',
                  selector: { matchLabels: { guard: 'y' } },
                  disruptionsAllowed: 0,
                },
              ],
            ),
        });
        if (d.kind === 'victims') expect(d.uids).not.toContain(labelled);
      }),
      { numRuns: 400 },
    );
  });
});
