import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIslands } from '../../src/core/inventory.js';

describe('parseIslands', () => {
  it('returns any partition of the devices, sorted', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 16 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
            ),
          ),
        ([n, owner]) => {
          const groups = new Map<number, number[]>();
          owner.forEach((g, device) => groups.set(g, [...(groups.get(g) ?? []), device]));
          const text = [...groups.values()]
            .map((devices) => [...devices].reverse().join(','))
            .reverse()
            .join(';');
          const expected = [...groups.values()].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
          expect(parseIslands(text, n)).toEqual(expected);
        },
      ),
    );
  });
});
