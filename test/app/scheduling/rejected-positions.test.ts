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
});
