import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_EXTENDER_SCORE, scaleToExtenderScores } from '../../../src/core/policies/normalize.js';

describe('scaleToExtenderScores', () => {
  it('maps the lowest raw score to 0, the highest to 10 and the rest linearly, rounded', () => {
    expect(scaleToExtenderScores([-2, 0, 2, 1.1])).toEqual([0, 5, 10, 8]);
  });

  it('gives 0 to every node when there is no preference', () => {
    expect(scaleToExtenderScores([3, 3])).toEqual([0, 0]);
    expect(scaleToExtenderScores([1.5])).toEqual([0]);
    expect(scaleToExtenderScores([])).toEqual([]);
  });

  it('gives 0 to non-finite scores without letting them stretch the scale', () => {
    expect(scaleToExtenderScores([NaN, Infinity, 1, 2, -Infinity])).toEqual([0, 0, 0, 10, 0]);
  });

  it('keeps the order of finite scores and stays within 0..10', () => {
    const score = fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: -50, max: 50 }));
    fc.assert(
      fc.property(fc.array(score, { maxLength: 30 }), (values) => {
        const scaled = scaleToExtenderScores(values);
        expect(scaled).toHaveLength(values.length);
        for (const [i, s] of scaled.entries()) {
          expect(Number.isInteger(s) && s >= 0 && s <= MAX_EXTENDER_SCORE).toBe(true);
          if (!Number.isFinite(values[i]!)) expect(s).toBe(0);
          for (const [j, t] of scaled.entries()) {
            const [a, b] = [values[i]!, values[j]!];
            if (Number.isFinite(a) && Number.isFinite(b) && a < b) expect(s).toBeLessThanOrEqual(t);
          }
        }
      }),
    );
  });
});
