// Fuzzing node inputs (core/inventory), 10 000 generated nodes: any labels, allocatable/capacity
// and NVLink-islands annotation either give an inventory or an InventoryError naming the input
// (never another error, never more devices than MAX_DEVICES_PER_NODE), and valid values are read as
// a model reads them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InventoryError } from '../../src/core/errors.js';
import { MAX_DEVICES_PER_NODE, nodeInventory } from '../../src/core/inventory.js';
import type { NodeShape } from '../../src/core/kube-shapes.js';

const RUNS = 10_000;
const value = fc.oneof(
  fc.constantFrom(
    '0',
    '1',
    '8',
    '1024',
    '1025',
    '81920',
    '99999999999999',
    '1e20',
    '-1',
    '0.5',
    'x',
    '',
    '4k',
  ),
  fc.integer({ min: -10, max: 2000 }),
  fc.string({ maxLength: 8 }),
);
const FIELDS = [
  'status.allocatable[nvidia.com/gpu]',
  'status.capacity[nvidia.com/gpu]',
  'nvidia.com/gpu.memory',
  'phalanx.dev/nvlink-islands',
];

describe('any node labels, allocatable and islands', () => {
  it('give an inventory or an InventoryError naming the input', () => {
    fc.assert(
      fc.property(
        fc.option(value, { nil: undefined }),
        fc.option(value, { nil: undefined }),
        fc.option(fc.oneof(value.map(String)), { nil: undefined }),
        fc.option(
          fc.oneof(
            fc.constantFrom('0-3;4-7', '0,1;2,3', '0-7', '0-1023', '7-0', ';'),
            fc.string({ maxLength: 8 }),
          ),
          {
            nil: undefined,
          },
        ),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
        (allocatable, capacity, memory, islands, labels) => {
          const node: NodeShape = {
            metadata: {
              name: 'n',
              labels: { ...labels, ...(memory === undefined ? {} : { 'nvidia.com/gpu.memory': memory }) },
              ...(islands === undefined ? {} : { annotations: { 'phalanx.dev/nvlink-islands': islands } }),
            },
            status: {
              ...(allocatable === undefined ? {} : { allocatable: { 'nvidia.com/gpu': allocatable } }),
              ...(capacity === undefined ? {} : { capacity: { 'nvidia.com/gpu': capacity } }),
            },
          };
          try {
            const inv = nodeInventory(node);
            expect(inv.devices.length).toBeLessThanOrEqual(MAX_DEVICES_PER_NODE);
            expect(inv.islands.flat().sort((a, b) => a - b)).toEqual(inv.devices.map((d) => d.index));
          } catch (err) {
            expect(err).toBeInstanceOf(InventoryError);
            expect(FIELDS).toContain((err as InventoryError).field);
            expect((err as Error).message).toMatch(/^node n: /);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('read valid counts and memory as the model does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 16 }), weight: 100 },
          { arbitrary: fc.constant(MAX_DEVICES_PER_NODE), weight: 1 },
        ),
        fc.integer({ min: 0, max: 1 << 20 }),
        (count, mib) => {
          const inv = nodeInventory({
            metadata: { name: 'n', labels: { 'nvidia.com/gpu.memory': String(mib) } },
            status: { allocatable: { 'nvidia.com/gpu': String(count) } },
          });
          expect(inv.devices).toHaveLength(count);
          expect(inv.devices.every((d) => d.memoryBytes === mib * 1024 * 1024)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
