import { describe, expect, it } from 'vitest';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import { selectVictims, type VictimQuery } from '../../../src/core/preemption/victim-selection.js';
import type { RemoteMember } from '../../../src/core/preemption/victim-units.js';
import type { Assignment, GpuRequest, NodeGpuState, NodeInventory } from '../../../src/core/types.js';
import { GIB, nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, whole } from '../../support/assignments.js';

interface PodSpec {
  uid: string;
  priority: number;
  assignment?: Assignment;
  gangKey?: string;
}

/** Commits every pod's holding (and any extra held by pods not on offer) through the real ledger. */
function query(
  inv: NodeInventory,
  gpu: GpuRequest,
  preemptorPriority: number,
  pods: PodSpec[],
  extra: { reserved?: Assignment[]; remote?: Record<string, RemoteMember[]>; gang?: string } = {},
): VictimQuery {
  const ledger = new GpuLedger();
  ledger.upsertNode(inv);
  for (const p of pods) if (p.assignment) expect(ledger.commit(p.uid, p.assignment)).toEqual({ ok: true });
  (extra.reserved ?? []).forEach((a, i) => expect(ledger.reserve(`r${i}`, a, 1e12)).toEqual({ ok: true }));
  const node = ledger.nodeState(inv.name) as NodeGpuState;
  return {
    demand: { gpu, topology: {} },
    node,
    pods,
    preemptorPriority,
    preemptorGangKey: extra.gang,
    remoteMembers: new Map(Object.entries(extra.remote ?? {})),
  };
}

const fraction = (milli: number, memoryBytes?: number): GpuRequest =>
  memoryBytes === undefined ? { kind: 'fraction', milli } : { kind: 'fraction', milli, memoryBytes };

describe('selectVictims: shares of one device', () => {
  it('frees the share on the device where it is cheapest', () => {
    const q = query(nodeInventory('n', 2), fraction(500), 10, [
      { uid: 'a', priority: 1, assignment: share('n', 0, 300) },
      { uid: 'b', priority: 2, assignment: share('n', 0, 400) },
      { uid: 'c', priority: 0, assignment: share('n', 0, 200) },
      { uid: 'd', priority: 0, assignment: share('n', 1, 600) },
      { uid: 'e', priority: 0, assignment: share('n', 1, 300) },
    ]);
    const choice = selectVictims(q);
    expect(choice).toMatchObject({ kind: 'victims', uids: ['d'], remote: [] });
  });

  it('prefers two low-priority pods to one pod of higher priority', () => {
    const q = query(nodeInventory('n', 1), fraction(500), 10, [
      { uid: 'high', priority: 5, assignment: share('n', 0, 500) },
      { uid: 'low1', priority: 1, assignment: share('n', 0, 250) },
      { uid: 'low2', priority: 1, assignment: share('n', 0, 250) },
    ]);
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['low1', 'low2'] });
  });

  it('never evicts a pod of equal or higher priority', () => {
    const q = query(nodeInventory('n', 1), fraction(500), 3, [
      { uid: 'same', priority: 3, assignment: share('n', 0, 600) },
      { uid: 'above', priority: 4, assignment: share('n', 0, 400) },
    ]);
    const choice = selectVictims(q);
    expect(choice.kind).toBe('cannot-help');
  });

  it('evicts a pod holding a device whole when that frees the share', () => {
    const q = query(nodeInventory('n', 2), fraction(700), 10, [
      { uid: 'w', priority: 0, assignment: whole('n', 0) },
      { uid: 's', priority: 0, assignment: share('n', 1, 400) },
    ]);
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['w'] });
  });

  it('frees memory as well as compute', () => {
    const inv = nodeInventory('n', 1, { memoryBytes: 40 * GIB });
    const q = query(inv, fraction(100, 20 * GIB), 10, [
      { uid: 'small', priority: 0, assignment: share('n', 0, 500, 5 * GIB) },
      { uid: 'big', priority: 1, assignment: share('n', 0, 100, 30 * GIB) },
    ]);
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['big'] });
  });

  it('sizes a memory-only request by the device memory', () => {
    const inv = nodeInventory('n', 1, { memoryBytes: 40 * GIB });
    const q = query(inv, { kind: 'memory', memoryBytes: 20 * GIB }, 10, [
      { uid: 'a', priority: 1, assignment: share('n', 0, 300) },
      { uid: 'b', priority: 0, assignment: share('n', 0, 500) },
    ]);
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['b'] });
  });

  it('answers fits when nothing needs to go', () => {
    const q = query(nodeInventory('n', 1), fraction(400), 10, [
      { uid: 'a', priority: 0, assignment: share('n', 0, 600) },
    ]);
    expect(selectVictims(q)).toEqual({ kind: 'fits' });
  });

  it('cannot help when the room is held by a reservation nobody can evict', () => {
    const q = query(
      nodeInventory('n', 1),
      fraction(500),
      10,
      [{ uid: 'a', priority: 0, assignment: share('n', 0, 300) }],
      {
        reserved: [share('n', 0, 600)],
      },
    );
    const choice = selectVictims(q);
    expect(choice.kind).toBe('cannot-help');
    if (choice.kind === 'cannot-help')
      expect(choice.reason).toContain('even after evicting every lower-priority pod');
  });

  it('cannot help on a node of another GPU model, whatever runs there', () => {
    const q = query(nodeInventory('n', 1, { model: 'A100' }), fraction(500), 10, [
      { uid: 'a', priority: 0, assignment: share('n', 0, 900) },
    ]);
    const choice = selectVictims({ ...q, demand: { gpu: fraction(500), topology: {}, models: ['H100'] } });
    expect(choice.kind).toBe('cannot-help');
    if (choice.kind === 'cannot-help') expect(choice.reason).toContain('model');
  });
});

describe('selectVictims: gangs', () => {
  it('evicts a gang whole and reports its members on other nodes', () => {
    const q = query(
      nodeInventory('n', 1),
      fraction(500),
      10,
      [
        { uid: 'g1', priority: 0, assignment: share('n', 0, 500), gangKey: 'ml/g' },
        { uid: 'g-cpu', priority: 0, gangKey: 'ml/g' },
        { uid: 'solo', priority: 2, assignment: share('n', 0, 500) },
      ],
      { remote: { 'ml/g': [{ uid: 'g2', node: 'm', priority: 0 }] } },
    );
    const choice = selectVictims(q);
    // Either solo (one pod, priority 2) or the gang (three pods, priority 0) frees enough: lowest
    // priority first, so the gang goes, with its CPU member here and its member on node m.
    expect(choice).toMatchObject({
      kind: 'victims',
      uids: ['g-cpu', 'g1'],
      remote: [{ uid: 'g2', node: 'm', priority: 0 }],
      cost: { highestPriority: 0, pods: 3, prioritySum: 0 },
    });
  });

  it('leaves a gang alone when any member, even on another node, outranks the preemptor', () => {
    const q = query(
      nodeInventory('n', 1),
      fraction(500),
      10,
      [
        { uid: 'g1', priority: 0, assignment: share('n', 0, 500), gangKey: 'ml/g' },
        { uid: 'solo', priority: 2, assignment: share('n', 0, 500) },
      ],
      { remote: { 'ml/g': [{ uid: 'g2', node: 'm', priority: 10 }] } },
    );
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['solo'], remote: [] });
  });

  it('never evicts the preemptor’s own gang', () => {
    const q = query(
      nodeInventory('n', 1),
      fraction(600),
      10,
      [{ uid: 'mate', priority: 0, assignment: share('n', 0, 500), gangKey: 'ml/mine' }],
      { gang: 'ml/mine' },
    );
    expect(selectVictims(q).kind).toBe('cannot-help');
  });
});

describe('selectVictims: whole devices', () => {
  const islands = {
    islands: [
      [0, 1],
      [2, 3],
    ],
  };

  it('prefers emptying a device inside an island with a free one, at equal cost', () => {
    const q = query(nodeInventory('n', 4, islands), { kind: 'whole', count: 2 }, 10, [
      { uid: 'y', priority: 1, assignment: whole('n', 2) },
      { uid: 'x', priority: 1, assignment: whole('n', 1) },
      { uid: 'z', priority: 5, assignment: whole('n', 3) },
    ]);
    // Device 0 is free: evicting x (island 0,1) or y (spanning 0 and 2) both cost one pod of priority 1.
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['x'] });
  });

  it('empties the device held by fewer pods', () => {
    const q = query(nodeInventory('n', 2), { kind: 'whole', count: 1 }, 10, [
      { uid: 'f1', priority: 0, assignment: share('n', 0, 300) },
      { uid: 'f2', priority: 0, assignment: share('n', 0, 300) },
      { uid: 'f3', priority: 0, assignment: share('n', 0, 300) },
      { uid: 'w', priority: 0, assignment: whole('n', 1) },
    ]);
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['w'] });
  });

  it('evicts every fraction on a device when that is the only way to free it', () => {
    const q = query(nodeInventory('n', 2), { kind: 'whole', count: 1 }, 10, [
      { uid: 'f1', priority: 0, assignment: share('n', 0, 300) },
      { uid: 'f2', priority: 1, assignment: share('n', 0, 100) },
      { uid: 'w', priority: 10, assignment: whole('n', 1) },
    ]);
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['f1', 'f2'] });
  });

  it('counts a multi-device pod once', () => {
    const q = query(nodeInventory('n', 4), { kind: 'whole', count: 2 }, 10, [
      { uid: 'pair', priority: 1, assignment: whole('n', 0, 1) },
      { uid: 'a', priority: 0, assignment: whole('n', 2) },
      { uid: 'b', priority: 0, assignment: whole('n', 3) },
    ]);
    // Two pods of priority 0 beat one pod of priority 1 (lowest priority first).
    expect(selectVictims(q)).toMatchObject({ kind: 'victims', uids: ['a', 'b'] });
    const fewer = query(nodeInventory('n', 4), { kind: 'whole', count: 2 }, 10, [
      { uid: 'pair', priority: 0, assignment: whole('n', 0, 1) },
      { uid: 'a', priority: 0, assignment: whole('n', 2) },
      { uid: 'b', priority: 0, assignment: whole('n', 3) },
    ]);
    expect(selectVictims(fewer)).toMatchObject({ kind: 'victims', uids: ['pair'] });
  });

  it('cannot help when the node has fewer devices than asked', () => {
    const q = query(nodeInventory('n', 2), { kind: 'whole', count: 4 }, 10, [
      { uid: 'a', priority: 0, assignment: whole('n', 0) },
    ]);
    expect(selectVictims(q).kind).toBe('cannot-help');
  });

  it('stays minimal when the exact search is cut short', () => {
    const pods = Array.from({ length: 8 }, (_, i) => ({
      uid: `p${i}`,
      priority: i % 3,
      assignment: whole('n', i),
    }));
    const q = query(nodeInventory('n', 8), { kind: 'whole', count: 3 }, 10, pods);
    const choice = selectVictims({ ...q, searchBudget: 1 });
    expect(choice.kind).toBe('victims');
    if (choice.kind === 'victims') expect(choice.uids).toHaveLength(3);
  });
});
