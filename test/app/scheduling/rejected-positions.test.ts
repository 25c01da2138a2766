import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  causeAt,
  countCauses,
  feasibleNames,
  withVerdicts,
} from '../../../src/app/scheduling/rejected-positions.js';

describe('rejected positions of a filter outcome', () => {
  const names = ['a', 'b', 'c', 'd', 'e'];
  const rejected = { positions: [1, 3], causes: ['full', 'model'] };

  it('tells each position its cause, undefined where the node fit', () => {
    expect([0, 1, 2, 3, 4].map((at) => causeAt(rejected, at))).toEqual([
      undefined,
      'full',
      undefined,
      'model',
      undefined,
    ]);
    expect(causeAt({ positions: [], causes: [] }, 0)).toBeUndefined();
  });

  it('takes new verdicts: a fitting node rejected, a rejected one fitting, a cause changed', () => {
    const next = withVerdicts(
      rejected,
      new Map<number, string | undefined>([
        [4, 'full'],
        [1, undefined],
        [3, 'full'],
      ]),
    );
    expect(next).toEqual({ positions: [3, 4], causes: ['full', 'full'] });
    expect(feasibleNames(names, next)).toEqual(['a', 'b', 'c']);
    expect(countCauses(next)).toEqual(new Map([['full', 2]]));
    expect(rejected).toEqual({ positions: [1, 3], causes: ['full', 'model'] }); // left as it was
  });

  it('lists the feasible names in list order', () => {
    expect(feasibleNames(names, rejected)).toEqual(['a', 'c', 'e']);
    expect(feasibleNames(names, { positions: [0, 1, 2, 3, 4], causes: ['x', 'x', 'x', 'x', 'x'] })).toEqual(
      [],
    );
  });

  it('takes any verdicts as a map of position to cause would', () => {
    const cause = fc.constantFrom('full', 'model', 'taint');
    fc.assert(
      fc.property(
        fc.dictionary(fc.integer({ min: 0, max: 40 }).map(String), cause),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.option(cause, { nil: undefined }))),
        (before, changes) => {
          const start = Object.entries(before)
            .map(([at, c]) => [Number(at), c] as const)
            .sort((a, b) => a[0] - b[0]);
          const rejectedBefore = { positions: start.map(([at]) => at), causes: start.map(([, c]) => c) };
          const verdicts = new Map(changes);
          const model = new Map<number, string>(start);
          for (const [at, c] of verdicts) {
            if (c === undefined) model.delete(at);
            else model.set(at, c);
          }
          const expected = [...model].sort((a, b) => a[0] - b[0]);
          expect(withVerdicts(rejectedBefore, verdicts)).toEqual({
            positions: expected.map(([at]) => at),
            causes: expected.map(([, c]) => c),
          });
        },
      ),
    );
  });
});
