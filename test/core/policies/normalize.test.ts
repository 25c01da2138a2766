import { describe, expect, it } from 'vitest';
import { toExtenderScores } from '../../../src/core/policies/normalize.js';

describe('toExtenderScores', () => {
  it('maps the lowest raw score to 0, the highest to 10 and the rest linearly, rounded', () => {
    const raw = new Map([
      ['a', -2],
      ['b', 0],
      ['c', 2],
      ['d', 1.1],
    ]);
    expect(toExtenderScores(raw)).toEqual(
      new Map([
        ['a', 0],
        ['b', 5],
        ['c', 10],
        ['d', 8],
      ]),
    );
  });

  it('gives 0 to every host when there is no preference', () => {
    expect(
      toExtenderScores(
        new Map([
          ['a', 3],
          ['b', 3],
        ]),
      ),
    ).toEqual(
      new Map([
        ['a', 0],
        ['b', 0],
      ]),
    );
    expect(toExtenderScores(new Map([['only', 1.5]]))).toEqual(new Map([['only', 0]]));
    expect(toExtenderScores(new Map())).toEqual(new Map());
  });

  it('gives 0 to non-finite scores without letting them stretch the scale', () => {
    const raw = new Map([
      ['nan', NaN],
      ['inf', Infinity],
      ['lo', 1],
      ['hi', 2],
    ]);
    expect(toExtenderScores(raw)).toEqual(
      new Map([
        ['nan', 0],
        ['inf', 0],
        ['lo', 0],
        ['hi', 10],
      ]),
    );
  });
});
