import { describe, expect, it } from 'vitest';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import { rebuildLedger } from '../../../src/core/ledger/snapshot.js';
import { generateFabric, nodeInventory } from '../../../testbed/gpu-fabric.js';
import { whole } from '../../support/assignments.js';

describe('rebuildLedger', () => {
  it('rebuilds the same device state as the live ledger that took the same commits', () => {
    const fabric = generateFabric({
      zones: 1,
      leafsPerZone: 2,
      cliquesPerLeaf: 2,
      nodesPerClique: 3,
      gpusPerNode: 4,
      occupancy: 0.6,
      seed: 7,
    });
    expect(fabric.occupied.length).toBeGreaterThan(10);
    const live = new GpuLedger();
    for (const inv of fabric.inventories) live.upsertNode(inv);
    for (const fact of [...fabric.occupied].reverse())
      expect(live.commit(fact.uid, fact.assignment).ok).toBe(true);
    const { ledger, rejected } = rebuildLedger(fabric.inventories, fabric.occupied);
    expect(rejected).toEqual([]);
    for (const inv of fabric.inventories)
      expect(ledger.nodeState(inv.name)).toEqual(live.nodeState(inv.name));
    expect(
      ledger
        .committed()
        .map((h) => h.uid)
        .sort(),
    ).toEqual(fabric.occupied.map((f) => f.uid).sort());
  });

  it('reports every fact it cannot apply, with the reason, and applies the rest', () => {
    const { ledger, rejected } = rebuildLedger(
      [nodeInventory('a', 2)],
      [
        { uid: 'ok', assignment: whole('a', 0) },
        { uid: 'same-again', assignment: whole('a', 0) },
        { uid: 'ok', assignment: whole('a', 1) },
        { uid: 'ghost-node', assignment: whole('gone', 0) },
        { uid: 'ghost-device', assignment: whole('a', 7) },
      ],
    );
    expect(rejected.map((r) => [r.uid, r.reason])).toEqual([
      ['same-again', 'device 0 on node a is given whole to another pod'],
      ['ok', 'pod ok is committed to device 0 whole on node a; refusing device 1 whole on node a'],
      ['ghost-node', 'node gone is not known to the ledger'],
      ['ghost-device', 'node a has no device 7'],
    ]);
    expect(ledger.nodeState('a')?.devices.map((d) => d.mode)).toEqual(['whole', 'free']);
  });

  it('treats a repeated identical fact as one', () => {
    const { ledger, rejected } = rebuildLedger(
      [nodeInventory('a', 1)],
      [
        { uid: 'p', assignment: whole('a', 0) },
        { uid: 'p', assignment: whole('a', 0) },
      ],
    );
    expect(rejected).toEqual([]);
    expect(ledger.committed()).toHaveLength(1);
  });
});
