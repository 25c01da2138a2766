import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAssignment, encodeAssignment } from '../../src/core/assignment-codec.js';
import { AssignmentCodecError } from '../../src/core/errors.js';
import type { Assignment } from '../../src/core/types.js';

const GI = 1024 ** 3;

describe('encodeAssignment / decodeAssignment', () => {
  const memory = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    fc.integer({ min: 1, max: 200 }).map((g) => g * GI),
  );
  const wholeAssignment = fc
    .uniqueArray(fc.integer({ min: 0, max: 9999 }), { minLength: 1, maxLength: 16 })
    .chain((indices) =>
      fc.tuple(
        fc.constant(indices),
        fc.array(memory, { minLength: indices.length, maxLength: indices.length }),
      ),
    )
    .map(([indices, mem]): Assignment => ({
      node: 'n',
      whole: true,
      devices: indices.map((index, i) => ({ index, milli: 1000, memoryBytes: mem[i] ?? 0 })),
    }));
  const sharedAssignment = fc
    .record({
      index: fc.integer({ min: 0, max: 9999 }),
      milli: fc.integer({ min: 1, max: 999 }),
      memoryBytes: memory,
    })
    .map((d): Assignment => ({ node: 'n', whole: false, devices: [d] }));

  it('round-trips every well-formed assignment', () => {
    fc.assert(
      fc.property(fc.oneof(wholeAssignment, sharedAssignment), (a) => {
        expect(decodeAssignment('n', encodeAssignment(a))).toEqual(a);
      }),
    );
  });

  it('throws only AssignmentCodecError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789,:m/KiGP -x'), maxLength: 24 }), (text) => {
        try {
          const a = decodeAssignment('n', text);
          expect(decodeAssignment('n', encodeAssignment(a))).toEqual(a);
        } catch (error) {
          expect(error).toBeInstanceOf(AssignmentCodecError);
        }
      }),
    );
  });
});
