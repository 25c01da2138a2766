// Random assignments, reservation lifecycles and nodes shared by the ledger, cluster-state and placement
// property tests.
import fc from 'fast-check';
import type { Assignment, NodeInventory } from '../../src/core/types.js';
import { GIB } from '../../testbed/gpu-fabric.js';

export interface AssignmentSpace {
  /** Nodes an assignment may name (include an unknown one to exercise refusals). */
  readonly nodes: readonly string[];
  /** Largest number of whole devices in one assignment. */
  readonly maxWholeDevices: number;
  /** Shares a fractional assignment may take on its device. */
  readonly millis: readonly number[];
  /** Device memory a fractional assignment may take, GiB. */
  readonly memGiBs: readonly number[];
}

/** Whole-device sets and single-device shares over device indices 0..3. */
export function assignmentArbitrary(space: AssignmentSpace): fc.Arbitrary<Assignment> {
  return fc.oneof(
    fc
      .record({
        node: fc.constantFrom(...space.nodes),
        indices: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), {
          minLength: 1,
          maxLength: space.maxWholeDevices,
        }),
      })
      .map(({ node, indices }) => ({
        node,
        whole: true,
        devices: indices.map((index) => ({ index, milli: 1000, memoryBytes: 0 })),
      })),
    fc
      .record({
        node: fc.constantFrom(...space.nodes),
        index: fc.integer({ min: 0, max: 3 }),
        milli: fc.constantFrom(...space.millis),
        memGiB: fc.constantFrom(...space.memGiBs),
      })
      .map(({ node, index, milli, memGiB }) => ({
        node,
        whole: false,
        devices: [{ index, milli, memoryBytes: memGiB * GIB }],
      })),
  );
}

export type LifecycleOp =
  | { op: 'reserve'; uid: string; a: Assignment; expiresAt: number }
  | { op: 'commit'; uid: string; a?: Assignment }
  | { op: 'release'; uid: string }
  | { op: 'expire'; now: number };

/** Weighted reserve / commit (of the reservation or of a bind elsewhere) / release / expire steps. */
export function lifecycleOps(
  uids: readonly string[],
  assignment: fc.Arbitrary<Assignment>,
): fc.WeightedArbitrary<LifecycleOp>[] {
  const uid = fc.constantFrom(...uids);
  return [
    {
      weight: 6,
      arbitrary: fc
        .record({ uid, a: assignment, expiresAt: fc.integer({ min: 0, max: 10 }) })
        .map((r) => ({ op: 'reserve' as const, ...r })),
    },
    { weight: 2, arbitrary: uid.map((u) => ({ op: 'commit' as const, uid: u })) },
    {
      weight: 3,
      arbitrary: fc.record({ uid, a: assignment }).map((r) => ({ op: 'commit' as const, ...r })),
    },
    { weight: 2, arbitrary: uid.map((u) => ({ op: 'release' as const, uid: u })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 }).map((now) => ({ op: 'expire' as const, now })) },
  ];
}

/**
 * A node of up to `maxDevices` 16 GiB devices of model A or B, some cordoned: enough variety for
 * fits to differ by count, model and schedulability.
 */
export function nodeInventoryArbitrary(name: string, maxDevices: number): fc.Arbitrary<NodeInventory> {
  return fc
    .record({
      devices: fc.integer({ min: 0, max: maxDevices }),
      model: fc.constantFrom('A', 'B'),
      cordoned: fc.boolean(),
    })
    .map(({ devices, model, cordoned }) => ({
      name,
      devices: Array.from({ length: devices }, (_, index) => ({ index, memoryBytes: 16 * GIB })),
      model,
      islands: [],
      labels: {},
      unschedulable: cordoned && devices % 2 === 1,
    }));
}
