// The memo hands its refresh the list the previous value was computed over: a request may send the
// same names as a new array (parsed afresh), and what is kept per list (slots, positions) belongs to
// the array the value was computed on.
import { describe, expect, it } from 'vitest';
import { NodeListMemo } from '../../../src/app/placement/node-list-memo.js';

/** A change counter whose generation moves on `change(node)`, logging the node. */
function counter() {
  const log: string[] = [];
  return {
    generation: () => log.length,
    changedSince: (generation: number) => log.slice(generation),
    change: (node: string) => log.push(node),
  };
}

describe('NodeListMemo', () => {
  it('refreshes over the list it computed on when a later request sends the same names anew', () => {
    const changes = counter();
    const memo = new NodeListMemo<string[]>(changes);
    const table = {};
    const first = ['a', 'b', 'c'];
    expect(memo.get('k', table, first, () => ['computed'])).toEqual(['computed']);
    changes.change('b');
    const seen: { listed: readonly string[]; at: number | undefined }[] = [];
    const again = [...first];
    const value = memo.get(
      'k',
      table,
      again,
      () => ['computed again'],
      (previous, changed, positionOf, listed) => {
        seen.push({ listed, at: positionOf(changed[0]!) });
        return [...previous, 'refreshed'];
      },
    );
    expect(value).toEqual(['computed', 'refreshed']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.listed).toBe(first);
    expect(seen[0]!.at).toBe(1);
  });

  it('computes afresh, without a refresh, for other names or another table', () => {
    const changes = counter();
    const memo = new NodeListMemo<string>(changes);
    const table = {};
    memo.get('k', table, ['a', 'b'], () => 'first');
    changes.change('a');
    const refresh = () => 'refreshed';
    expect(memo.get('k', table, ['b', 'a'], () => 'reordered', refresh)).toBe('reordered');
    expect(memo.get('k', {}, ['b', 'a'], () => 'new table', refresh)).toBe('new table');
  });
});
