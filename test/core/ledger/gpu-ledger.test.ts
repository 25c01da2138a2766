import { describe, expect, it } from 'vitest';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import type { Assignment } from '../../../src/core/types.js';
import { GIB, nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, whole } from '../../support/assignments.js';

function ledgerWith(...nodes: [string, number][]): GpuLedger {
  const ledger = new GpuLedger();
  for (const [name, gpus] of nodes) ledger.upsertNode(nodeInventory(name, gpus, { memoryBytes: 40 * GIB }));
  return ledger;
}

describe('GpuLedger reserve/commit/release', () => {
  it('records a whole reservation on the devices it names', () => {
    const ledger = ledgerWith(['a', 4]);
    expect(ledger.reserve('p1', whole('a', 1, 2), 5_000)).toEqual({ ok: true });
    const devices = ledger.nodeState('a')?.devices ?? [];
    expect(devices.map((d) => d.mode)).toEqual(['free', 'whole', 'whole', 'free']);
    expect(devices.map((d) => d.usedMilli)).toEqual([0, 1000, 1000, 0]);
    expect(devices[1]?.usedMemoryBytes).toBe(40 * GIB);
    expect(ledger.holding('p1')).toEqual({
      uid: 'p1',
      assignment: whole('a', 1, 2),
      state: 'reserved',
      expiresAt: 5_000,
    });
  });

  it('adds fractions on a shared device up to 1000 milli and refuses more with the numbers', () => {
    const ledger = ledgerWith(['a', 2]);
    expect(ledger.reserve('p1', share('a', 0, 600), 1).ok).toBe(true);
    expect(ledger.commit('p2', share('a', 0, 400)).ok).toBe(true);
    expect(ledger.nodeState('a')?.devices[0]).toMatchObject({ usedMilli: 1000, mode: 'shared' });
    ledger.release('p2');
    expect(ledger.reserve('p3', share('a', 0, 500), 1)).toEqual({
      ok: false,
      reason: 'device 0 on node a has 400m free, pod needs 500m',
    });
  });

  it('refuses device memory beyond the device', () => {
    const ledger = ledgerWith(['a', 1]);
    expect(ledger.reserve('p1', share('a', 0, 100, 30 * GIB), 1).ok).toBe(true);
    expect(ledger.reserve('p2', share('a', 0, 100, 20 * GIB), 1)).toEqual({
      ok: false,
      reason: 'device 0 on node a has 10Gi memory free, pod needs 20Gi',
    });
  });

  it('never mixes whole and shared use of one device', () => {
    const ledger = ledgerWith(['a', 2]);
    ledger.reserve('s', share('a', 0, 100), 1);
    ledger.reserve('w', whole('a', 1), 1);
    expect(ledger.reserve('w2', whole('a', 0), 1)).toEqual({
      ok: false,
      reason: 'device 0 on node a holds fractions (100m used), pod needs it whole',
    });
    expect(ledger.reserve('s2', share('a', 1, 100), 1)).toEqual({
      ok: false,
      reason: 'device 1 on node a is given whole to another pod',
    });
  });

  it('refuses unknown nodes, unknown devices and malformed shapes', () => {
    const ledger = ledgerWith(['a', 2]);
    expect(ledger.reserve('p', whole('b', 0), 1)).toEqual({
      ok: false,
      reason: 'node b is not known to the ledger',
    });
    expect(ledger.reserve('p', whole('a', 5), 1)).toEqual({ ok: false, reason: 'node a has no device 5' });
    expect(ledger.reserve('p', whole('a', 0, 0), 1)).toEqual({
      ok: false,
      reason: 'pod p: device 0 appears twice',
    });
    const twoShared: Assignment = {
      node: 'a',
      whole: false,
      devices: [
        { index: 0, milli: 100, memoryBytes: 0 },
        { index: 1, milli: 100, memoryBytes: 0 },
      ],
    };
    expect(ledger.reserve('p', twoShared, 1)).toEqual({
      ok: false,
      reason: 'pod p: a shared assignment names 2 devices, not one',
    });
    expect(ledger.reserve('p', share('a', 0, 0), 1).ok).toBe(false);
    expect(
      ledger.reserve('p', { ...whole('a', 0), devices: [{ index: 0, milli: 500, memoryBytes: 0 }] }, 1).ok,
    ).toBe(false);
    expect(ledger.holding('p')).toBeUndefined();
    expect(ledger.nodeState('a')?.devices.every((d) => d.mode === 'free')).toBe(true);
  });

  it('is idempotent by uid: repeated reserve moves the expiry, a different one is refused', () => {
    const ledger = ledgerWith(['a', 2]);
    ledger.reserve('p', share('a', 0, 300), 10);
    expect(ledger.reserve('p', share('a', 0, 300), 20)).toEqual({ ok: true });
    expect(ledger.holding('p')?.expiresAt).toBe(20);
    expect(ledger.nodeState('a')?.devices[0]?.usedMilli).toBe(300);
    const other = ledger.reserve('p', share('a', 1, 300), 30);
    expect(other.ok).toBe(false);
    expect(ledger.nodeState('a')?.devices[1]?.usedMilli).toBe(0);
  });

  it('commits a reservation once; repeating the commit is a no-op', () => {
    const ledger = ledgerWith(['a', 2]);
    expect(ledger.commit('p').ok).toBe(false);
    ledger.reserve('p', whole('a', 0), 10);
    expect(ledger.commit('p')).toEqual({ ok: true });
    expect(ledger.commit('p')).toEqual({ ok: true });
    expect(ledger.commit('p', whole('a', 0))).toEqual({ ok: true });
    expect(ledger.holding('p')).toEqual({ uid: 'p', assignment: whole('a', 0), state: 'committed' });
    expect(ledger.expire(1_000_000)).toEqual([]);
    expect(ledger.nodeState('a')?.devices[0]?.mode).toBe('whole');
  });

  it('refuses a different assignment for a committed pod', () => {
    const ledger = ledgerWith(['a', 2]);
    ledger.commit('p', whole('a', 0));
    expect(ledger.commit('p', whole('a', 1))).toEqual({
      ok: false,
      reason: 'pod p is committed to device 0 whole on node a; refusing device 1 whole on node a',
    });
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['whole', 'free']);
  });

  it('lets a bound decision replace a different reservation, and keeps the reservation if it cannot', () => {
    const ledger = ledgerWith(['a', 2]);
    ledger.reserve('p', whole('a', 0), 10);
    expect(ledger.commit('p', whole('a', 1))).toEqual({ ok: true });
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['free', 'whole']);
    ledger.reserve('q', whole('a', 0), 10);
    expect(ledger.commit('q', whole('a', 1))).toEqual({
      ok: false,
      reason: 'device 1 on node a is given whole to another pod',
    });
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['whole', 'whole']);
    expect(ledger.holding('q')).toEqual({
      uid: 'q',
      assignment: whole('a', 0),
      state: 'reserved',
      expiresAt: 10,
    });
  });

  it('release restores the prior state and reports whether anything was held', () => {
    const ledger = ledgerWith(['a', 2]);
    ledger.commit('base', share('a', 0, 250, GIB));
    const before = ledger.nodeState('a');
    ledger.reserve('p', share('a', 0, 500, 2 * GIB), 1);
    expect(ledger.release('p')).toBe(true);
    expect(ledger.release('p')).toBe(false);
    expect(ledger.nodeState('a')).toEqual(before);
  });

  it('expires reservations at or before now, and only those', () => {
    const ledger = ledgerWith(['a', 4]);
    ledger.reserve('early', whole('a', 0), 100);
    ledger.reserve('exact', whole('a', 1), 200);
    ledger.reserve('late', whole('a', 2), 300);
    ledger.commit('bound', whole('a', 3));
    expect(ledger.expire(200).sort()).toEqual(['early', 'exact']);
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['free', 'free', 'whole', 'whole']);
    expect(ledger.expire(200)).toEqual([]);
  });

  it('caches node state until the node changes', () => {
    const ledger = ledgerWith(['a', 2], ['b', 2]);
    const a1 = ledger.nodeState('a');
    expect(ledger.nodeState('a')).toBe(a1);
    ledger.reserve('p', whole('b', 0), 1);
    expect(ledger.nodeState('a')).toBe(a1);
    ledger.reserve('q', whole('a', 0), 1);
    expect(ledger.nodeState('a')).not.toBe(a1);
    expect(Object.isFrozen(ledger.nodeState('a'))).toBe(true);
  });

  it('notifies listeners with the node that changed', () => {
    const ledger = ledgerWith(['a', 2]);
    const seen: string[] = [];
    const stop = ledger.onNodeChange((n) => seen.push(n));
    ledger.reserve('p', whole('a', 0), 1);
    ledger.upsertNode(nodeInventory('b', 1));
    ledger.release('p');
    stop();
    ledger.reserve('q', whole('a', 0), 1);
    expect(seen).toEqual(['a', 'b', 'a']);
  });

  it('reports totals for metrics', () => {
    const ledger = ledgerWith(['a', 2], ['b', 1]);
    ledger.commit('w', whole('a', 0));
    ledger.commit('f', share('a', 1, 250));
    ledger.reserve('r', share('b', 0, 100), 1);
    expect(ledger.totals()).toEqual({ capacityMilli: 3000, usedMilli: 1350, committedMilli: 1250 });
  });
});

describe('GpuLedger node changes', () => {
  it('keeps holdings when capacity grows', () => {
    const ledger = ledgerWith(['a', 2]);
    ledger.commit('p', whole('a', 1));
    expect(ledger.upsertNode(nodeInventory('a', 4, { memoryBytes: 40 * GIB }))).toEqual([]);
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['free', 'whole', 'free', 'free']);
  });

  it('reports holdings on vanished devices: reservations dropped, commitments displaced until the device returns', () => {
    const ledger = ledgerWith(['a', 4]);
    ledger.commit('c', whole('a', 3));
    ledger.reserve('r', share('a', 2, 500), 1);
    ledger.commit('keep', whole('a', 0));
    expect(ledger.upsertNode(nodeInventory('a', 2, { memoryBytes: 40 * GIB })).sort()).toEqual(['c', 'r']);
    expect(ledger.holding('r')).toBeUndefined();
    expect(ledger.holding('c')).toEqual({
      uid: 'c',
      assignment: whole('a', 3),
      state: 'committed',
      displaced: true,
    });
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['whole', 'free']);
    expect(ledger.totals().committedMilli).toBe(1000);
    // The device comes back: the bound pod is counted again, so nobody else gets device 3.
    expect(ledger.upsertNode(nodeInventory('a', 4, { memoryBytes: 40 * GIB }))).toEqual([]);
    expect(ledger.holding('c')?.displaced).toBeUndefined();
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['whole', 'free', 'free', 'whole']);
    expect(ledger.reserve('x', whole('a', 3), 1).ok).toBe(false);
  });

  it('displaces fractions that no longer fit when device memory shrinks, keeping earlier ones', () => {
    const ledger = ledgerWith(['a', 1]);
    ledger.commit('first', share('a', 0, 100, 20 * GIB));
    ledger.commit('second', share('a', 0, 100, 15 * GIB));
    expect(ledger.upsertNode(nodeInventory('a', 1, { memoryBytes: 30 * GIB }))).toEqual(['second']);
    expect(ledger.nodeState('a')?.devices[0]).toMatchObject({ usedMilli: 100, usedMemoryBytes: 20 * GIB });
  });

  it('releasing a displaced holding forgets it', () => {
    const ledger = ledgerWith(['a', 2]);
    ledger.commit('c', whole('a', 1));
    ledger.upsertNode(nodeInventory('a', 1));
    expect(ledger.release('c')).toBe(true);
    ledger.upsertNode(nodeInventory('a', 2));
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['free', 'free']);
  });

  it('removeNode returns every uid on it and forgets them', () => {
    const ledger = ledgerWith(['a', 2], ['b', 1]);
    ledger.commit('c', whole('a', 0));
    ledger.reserve('r', share('a', 1, 10), 1);
    ledger.commit('other', whole('b', 0));
    expect(ledger.removeNode('a').sort()).toEqual(['c', 'r']);
    expect(ledger.removeNode('a')).toEqual([]);
    expect(ledger.holding('c')).toBeUndefined();
    expect(ledger.nodeState('a')).toBeUndefined();
    expect([...ledger.nodes()]).toEqual(['b']);
    expect(ledger.committed().map((h) => h.uid)).toEqual(['other']);
  });
});
