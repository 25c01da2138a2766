// A sublist's positions are read from its parent's map: they must be the positions a map of the
// sublist itself would give, for every name, listed or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listPositions, noteSublist } from '../../../src/app/placement/list-positions.js';

describe('list positions', () => {
  it('a sublist answers as a map of its own names would', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 5 }),
        (names, keep, strangers) => {
          const parent = [...names];
          const skipped = parent.flatMap((_, i) => (keep[i] ? [] : [i]));
          const sublist = parent.filter((_, i) => keep[i]);
          noteSublist(sublist, parent, skipped);
          const positions = listPositions(sublist);
          expect(positions.unique).toBe(true);
          for (const name of [...parent, ...strangers]) {
            const at = sublist.indexOf(name);
            expect(positions.of(name)).toBe(at < 0 ? undefined : at);
          }
        },
      ),
    );
  });

  it('a list naming a node twice is not unique, nor is a sublist of it', () => {
    const parent = ['a', 'b', 'a', 'c'];
    const sublist = ['b', 'a', 'c'];
    noteSublist(sublist, parent, [0]);
    expect(listPositions(parent).unique).toBe(false);
    expect(listPositions(sublist).unique).toBe(false);
    expect(listPositions(['a', 'b', 'c']).unique).toBe(true);
  });

  it('a list already known keeps its own positions', () => {
    const parent = ['a', 'b', 'c'];
    const list = ['b', 'c'];
    expect(listPositions(list).of('c')).toBe(1);
    // A wrong note for a known list changes nothing.
    noteSublist(list, parent, [1]);
    expect(listPositions(list).of('c')).toBe(1);
  });
});
