import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priorityReply } from '../../src/extender/priority-reply.js';

/** What the reply must be: JSON.stringify of the hosts with a score other than 0, in order. */
const expected = (scores: readonly { host: string; score: number }[]): string =>
  JSON.stringify(scores.filter((s) => s.score !== 0).map((s) => ({ Host: s.host, Score: s.score })));

const nodeName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,30}[a-z0-9])?$/);

describe('priorityReply', () => {
  it('writes node names and extender scores as JSON.stringify does, leaving out zero scores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ host: nodeName, score: fc.integer({ min: 0, max: 10 }) })),
        (scores) => {
          expect(priorityReply(scores).toString('utf8')).toBe(expected(scores));
        },
      ),
    );
  });

  it('writes any host and any number as JSON.stringify does (quotes, escapes, non-ASCII, odd scores)', () => {
    const score = fc.oneof(
      fc.integer({ min: -5, max: 200 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    fc.assert(
      fc.property(fc.array(fc.record({ host: fc.string({ unit: 'binary' }), score })), (scores) => {
        expect(priorityReply(scores).toString('utf8')).toBe(expected(scores));
      }),
    );
  });

  it('is an empty list when no host scored', () => {
    expect(priorityReply([]).toString()).toBe('[]');
    expect(priorityReply([{ host: 'a', score: 0 }]).toString()).toBe('[]');
    expect(
      priorityReply([
        { host: 'a', score: 10 },
        { host: 'b', score: 0 },
        { host: 'c', score: 3 },
      ]).toString(),
    ).toBe('[{"Host":"a","Score":10},{"Host":"c","Score":3}]');
  });
});
