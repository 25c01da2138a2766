// Random sequences of reserve / commit / release / expire / node changes against the ledger, checked
// after every step against a naive reference model and against the invariants of the issue.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import { rebuildLedger } from '../../../src/core/ledger/snapshot.js';
import type { Assignment, NodeInventory } from '../../../src/core/types.js';
import { GIB, nodeInventory } from '../../../testbed/gpu-fabric.js';
import { assignmentArbitrary, lifecycleOps, type LifecycleOp } from '../../support/ledger-arbitraries.js';
import { LedgerModel } from '../../support/ledger-model.js';

const NODES = ['a', 'b', 'c'];
const UIDS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];

const inventoryArb = fc
  .record({
    node: fc.constantFrom(...NODES),
    gpus: fc.oneof(
      { weight: 1, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) },
    ),
    memGiB: fc.constantFrom(0, 8, 16, 16),
  })
  .map(({ node, gpus, memGiB }) => nodeInventory(node, gpus, { memoryBytes: memGiB * GIB }));

const assignmentArb = assignmentArbitrary({
  nodes: [...NODES, 'zz'],
  maxWholeDevices: 2,
  millis: [0, 100, 250, 250, 500, 500, 750, 1000],
  memGiBs: [0, 2, 5, 9],
});

type Op =
  | { op: 'upsert'; inv: NodeInventory }
  | { op: 'remove'; node: string }
  | LifecycleOp
  | { op: 'probe'; a: Assignment };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: inventoryArb.map((inv) => ({ op: 'upsert' as const, inv })) },
  { weight: 1, arbitrary: fc.constantFrom(...NODES).map((node) => ({ op: 'remove' as const, node })) },
  ...lifecycleOps(UIDS, assignmentArb),
  { weight: 2, arbitrary: assignmentArb.map((a) => ({ op: 'probe' as const, a })) },
);

/** Cheap deep equality for the hot loop; falls back to expect for a readable diff on mismatch. */
function same(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected);
}

/** Applies one op to both; checks that they agree on the outcome. */
function step(ledger: GpuLedger, model: LedgerModel, op: Op): void {
  switch (op.op) {
    case 'upsert':
      same(ledger.upsertNode(op.inv).sort(), model.upsertNode(op.inv));
      return;
    case 'remove':
      same(ledger.removeNode(op.node).sort(), model.removeNode(op.node));
      return;
    case 'reserve':
      same(ledger.reserve(op.uid, op.a, op.expiresAt).ok, model.reserve(op.uid, op.a, op.expiresAt));
      return;
    case 'commit':
      same(ledger.commit(op.uid, op.a).ok, model.commit(op.uid, op.a));
      return;
    case 'release':
      same(ledger.release(op.uid), model.release(op.uid));
      return;
    case 'expire':
      same(ledger.expire(op.now).sort(), model.expire(op.now));
      return;
    case 'probe': {
      // Reserve then release a fresh uid: the state must come back exactly.
      const before = NODES.map((n) => ledger.nodeState(n));
      const placed = ledger.reserve('probe', op.a, 1);
      same(ledger.release('probe'), placed.ok);
      same(
        NODES.map((n) => ledger.nodeState(n)),
        before,
      );
      return;
    }
  }
}

/** LedgerTotals counted afresh from what the ledger shows: every device, every counted commitment. */
function totalsCounted(ledger: GpuLedger): {
  capacityMilli: number;
  usedMilli: number;
  committedMilli: number;
} {
  let capacityMilli = 0;
  let usedMilli = 0;
  for (const node of ledger.nodes()) {
    for (const d of ledger.nodeState(node)?.devices ?? []) {
      capacityMilli += 1000;
      usedMilli += d.usedMilli;
    }
  }
  let committedMilli = 0;
  for (const h of ledger.committed()) {
    if (h.displaced !== true) for (const share of h.assignment.devices) committedMilli += share.milli;
  }
  return { capacityMilli, usedMilli, committedMilli };
}

function checkInvariants(ledger: GpuLedger, model: LedgerModel): void {
  for (const node of NODES) {
    const devices = ledger.nodeState(node)?.devices;
    same(devices, model.devices(node));
    for (const d of devices ?? []) {
      const inBounds =
        d.usedMilli >= 0 &&
        d.usedMilli <= 1000 &&
        (d.memoryBytes === 0 || d.usedMemoryBytes <= d.memoryBytes) &&
        (d.mode !== 'whole' || d.usedMilli === 1000) &&
        (d.mode !== 'free' || d.usedMilli === 0);
      if (!inBounds) expect.fail(`device out of bounds on ${node}: ${JSON.stringify(d)}`);
    }
  }
  for (const u of UIDS) same(ledger.holding(u), model.holding(u));
  same(ledger.totals(), totalsCounted(ledger));
  // Rebuild from the committed, counted holdings plus the live reservations equals the live ledger.
  const inventories = [...ledger.nodes()].map((n) => ledger.inventory(n)).filter((i) => i !== undefined);
  const counted = ledger.committed().filter((h) => h.displaced !== true);
  const { ledger: rebuilt, rejected } = rebuildLedger(inventories, counted);
  same(rejected, []);
  for (const r of ledger.reservations()) same(rebuilt.reserve(r.uid, r.assignment, 0).ok, true);
  for (const node of NODES) same(rebuilt.nodeState(node), ledger.nodeState(node));
}

describe('GpuLedger properties', () => {
  it('agrees with the reference model and keeps every invariant after each step (1000 sequences)', () => {
    let busySteps = 0;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 16), { minLength: 3, maxLength: 3 }),
        fc.array(opArb, { minLength: 5, maxLength: 25 }),
        (memGiB, ops) => {
          const ledger = new GpuLedger();
          const model = new LedgerModel();
          // Every sequence starts with the three nodes at 4 GPUs, so most operations can succeed.
          NODES.forEach((name, i) => {
            step(ledger, model, {
              op: 'upsert',
              inv: nodeInventory(name, 4, { memoryBytes: (memGiB[i] ?? 0) * GIB }),
            });
          });
          for (const op of ops) {
            step(ledger, model, op);
            checkInvariants(ledger, model);
            if (ledger.committed().length + ledger.reservations().length >= 2) busySteps += 1;
          }
        },
      ),
      { numRuns: 1000 },
    );
    // The sequences must spend many steps with several holdings, or the checks prove little.
    expect(busySteps).toBeGreaterThan(3500);
  }, 60_000);
});
