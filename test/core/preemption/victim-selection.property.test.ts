// Property tests for victim selection against a naive model: per-device arithmetic written here from
// the pods' shares, and a brute force over every set of evictable units for the cheapest answer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import { selectVictims } from '../../../src/core/preemption/victim-selection.js';
import type { RemoteMember, VictimCandidate } from '../../../src/core/preemption/victim-units.js';
import type { Assignment, GpuRequest, NodeGpuState } from '../../../src/core/types.js';
import { GIB, nodeInventory } from '../../../testbed/gpu-fabric.js';
import { costKey, expectRuleAbiding, type ModelUnit } from './victim-model.js';

const MEMORY = 40 * GIB;

interface Scenario {
  gpus: number;
  islands: number[][];
  pods: VictimCandidate[];
  remote: Map<string, RemoteMember[]>;
  gpu: GpuRequest;
  priority: number;
  node: NodeGpuState;
}

const podArb = fc.record({
  priority: fc.integer({ min: 0, max: 3 }),
  gang: fc.constantFrom(undefined, undefined, 'ns/g1', 'ns/g2'),
  hold: fc.oneof(
    fc.record({
      kind: fc.constant('whole' as const),
      first: fc.nat(3),
      count: fc.integer({ min: 1, max: 2 }),
    }),
    fc.record({
      kind: fc.constant('share' as const),
      device: fc.nat(3),
      milli: fc.integer({ min: 1, max: 9 }).map((n) => n * 100),
      memoryGiB: fc.constantFrom(0, 0, 10, 20),
    }),
    fc.constant({ kind: 'none' as const }),
  ),
});

const scenarioArb = fc
  .record({
    gpus: fc.integer({ min: 1, max: 4 }),
    split: fc.boolean(),
    pods: fc.array(podArb, { maxLength: 9 }),
    remote: fc.array(
      fc.record({ gang: fc.constantFrom('ns/g1', 'ns/g2'), priority: fc.integer({ min: 0, max: 4 }) }),
      { maxLength: 3 },
    ),
    gpu: fc.oneof(
      fc.record({ kind: fc.constant('whole' as const), count: fc.integer({ min: 1, max: 3 }) }),
      fc.record({
        kind: fc.constant('fraction' as const),
        milli: fc.integer({ min: 1, max: 10 }).map((n) => n * 100 - 1),
      }),
      fc.record({
        kind: fc.constant('fraction' as const),
        milli: fc.integer({ min: 1, max: 9 }).map((n) => n * 100),
        memoryBytes: fc.constantFrom(5, 15, 30).map((g) => g * GIB),
      }),
      fc.record({
        kind: fc.constant('memory' as const),
        memoryBytes: fc.constantFrom(10, 20, 35).map((g) => g * GIB),
      }),
    ),
    priority: fc.integer({ min: 0, max: 4 }),
  })
  .map((raw): Scenario => {
    const indices = Array.from({ length: raw.gpus }, (_, i) => i);
    const half = Math.ceil(raw.gpus / 2);
    const islands = raw.split && raw.gpus > 1 ? [indices.slice(0, half), indices.slice(half)] : [indices];
    const inv = nodeInventory('n', raw.gpus, { memoryBytes: MEMORY, islands });
    const ledger = new GpuLedger();
    ledger.upsertNode(inv);
    const pods: VictimCandidate[] = [];
    raw.pods.forEach((p, i) => {
      const uid = `p${i}`;
      let assignment: Assignment | undefined;
      if (p.hold.kind === 'whole') {
        const devices = Array.from({ length: p.hold.count }, (_, k) =>
          p.hold.kind === 'whole' ? p.hold.first + k : 0,
        )
          .filter((d) => d < raw.gpus)
          .map((index) => ({ index, milli: 1000, memoryBytes: 0 }));
        if (devices.length > 0) assignment = { node: 'n', whole: true, devices };
      } else if (p.hold.kind === 'share' && p.hold.device < raw.gpus) {
        const memoryBytes = p.hold.memoryGiB * GIB;
        assignment = {
          node: 'n',
          whole: false,
          devices: [{ index: p.hold.device, milli: p.hold.milli, memoryBytes }],
        };
      }
      if (assignment !== undefined && !ledger.commit(uid, assignment).ok) assignment = undefined;
      if (assignment === undefined && p.gang === undefined) return;
      pods.push({
        uid,
        priority: p.priority,
        ...(assignment ? { assignment } : {}),
        ...(p.gang ? { gangKey: p.gang } : {}),
      });
    });
    const remote = new Map<string, RemoteMember[]>();
    raw.remote.forEach((r, i) => {
      const list = remote.get(r.gang) ?? [];
      list.push({ uid: `r${i}`, node: 'm', priority: r.priority });
      remote.set(r.gang, list);
    });
    return {
      gpus: raw.gpus,
      islands,
      pods,
      remote,
      gpu: raw.gpu,
      priority: raw.priority,
      node: ledger.nodeState('n') as NodeGpuState,
    };
  });

/** Does the request fit on the node once `gone` pods are evicted? Recomputed from the pods' shares. */
function modelFits(s: Scenario, gone: ReadonlySet<string>): boolean {
  const milli = new Array<number>(s.gpus).fill(0);
  const memory = new Array<number>(s.gpus).fill(0);
  const whole = new Array<boolean>(s.gpus).fill(false);
  for (const p of s.pods) {
    if (gone.has(p.uid) || p.assignment === undefined) continue;
    for (const d of p.assignment.devices) {
      milli[d.index] = (milli[d.index] ?? 0) + d.milli;
      memory[d.index] = (memory[d.index] ?? 0) + (p.assignment.whole ? MEMORY : d.memoryBytes);
      if (p.assignment.whole) whole[d.index] = true;
    }
  }
  const devices = Array.from({ length: s.gpus }, (_, i) => i);
  const gpu = s.gpu;
  if (gpu.kind === 'whole') return devices.filter((i) => milli[i] === 0).length >= gpu.count;
  if (gpu.kind === 'none') return true;
  const need =
    gpu.kind === 'fraction' ? gpu.milli : Math.max(1, Math.ceil((1000 * gpu.memoryBytes) / MEMORY));
  const needMemory = gpu.memoryBytes ?? 0;
  return devices.some(
    (i) => !whole[i] && (milli[i] ?? 0) + need <= 1000 && (memory[i] ?? 0) + needMemory <= MEMORY,
  );
}

/** Units as the rule defines them: a gang with all its members, or a GPU-holding pod alone. */
function modelUnits(s: Scenario): ModelUnit[] {
  const byKey = new Map<string, VictimCandidate[]>();
  for (const p of s.pods) byKey.set(p.gangKey ?? p.uid, [...(byKey.get(p.gangKey ?? p.uid) ?? []), p]);
  return [...byKey.entries()].map(([key, members]) => {
    const remote = members[0]?.gangKey !== undefined ? (s.remote.get(key) ?? []) : [];
    return {
      uids: members.map((m) => m.uid),
      remote,
      priorities: [...members.map((m) => m.priority), ...remote.map((r) => r.priority)],
      // A share counts as the device it runs on.
      gpus: members.reduce((n, m) => n + (m.assignment?.devices.length ?? 0), 0),
    };
  });
}

function checkChoice(s: Scenario, budget: number | undefined): void {
  const choice = selectVictims({
    demand: { gpu: s.gpu, topology: {} },
    node: s.node,
    pods: s.pods,
    preemptorPriority: s.priority,
    remoteMembers: s.remote,
    ...(budget === undefined ? {} : { searchBudget: budget }),
  });
  const model = {
    priority: s.priority,
    pods: s.pods,
    units: modelUnits(s),
    fits: (gone: ReadonlySet<string>) => modelFits(s, gone),
  };
  const chosen = expectRuleAbiding(model, choice, budget === undefined);
  if (chosen === undefined || choice.kind !== 'victims') return;
  // The reported cost is the chosen units' cost.
  expect([choice.cost.highestPriority, choice.cost.gpus, choice.cost.pods, choice.cost.prioritySum]).toEqual(
    costKey(chosen),
  );
}

describe('selectVictims properties', () => {
  it('frees enough, evicts gangs whole, spares equal and higher priorities, is minimal and cheapest', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => checkChoice(s, undefined)),
      { numRuns: 1500 },
    );
  });

  it('keeps every rule but cheapness when the exact search is cut short', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 0, max: 3 }), (s, budget) => checkChoice(s, budget)),
      { numRuns: 1000 },
    );
  });
});
