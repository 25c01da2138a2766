import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PriorityReplies } from '../../src/extender/priority-reply.js';

interface Entry {
  readonly host: string;
  readonly score: number;
}

/** What the reply must be: JSON.stringify of the hosts with a score other than 0, in order. */
const expected = (scores: readonly Entry[]): string =>
  JSON.stringify(scores.filter((s) => s.score !== 0).map((s) => ({ Host: s.host, Score: s.score })));

/** A reply written with nothing before it. */
const priorityReply = (scores: readonly Entry[]): Buffer => new PriorityReplies().reply(scores);

const nodeName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,30}[a-z0-9])?$/);
const oddHost = fc.string({ unit: 'binary' });
const oddScore = fc.oneof(
  fc.integer({ min: -5, max: 200 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

describe('prioritize replies', () => {
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
    fc.assert(
      fc.property(fc.array(fc.record({ host: oddHost, score: oddScore })), (scores) => {
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

  // After a bind the verbs hand back the entries that did not change as the same objects, and the
  // reply is patched from the one before: every reply in a sequence must still be JSON.stringify's.
  it('patches a reply from the one before it over the same list, whatever changed', () => {
    const plainEntry = fc.record({ host: nodeName, score: fc.integer({ min: 0, max: 12 }) });
    const anyEntry = fc.oneof(
      { weight: 9, arbitrary: plainEntry },
      { weight: 1, arbitrary: fc.record({ host: oddHost, score: oddScore }) },
    );
    // A step replaces some positions by new entries (or keeps none), or changes the list's length.
    const step = fc.oneof(
      { weight: 6, arbitrary: fc.array(fc.tuple(fc.nat(), anyEntry), { maxLength: 6 }) },
      { weight: 1, arbitrary: fc.array(plainEntry, { maxLength: 12 }) },
    );
    fc.assert(
      fc.property(
        fc.array(plainEntry, { maxLength: 12 }),
        fc.array(step, { maxLength: 8 }),
        (first, steps) => {
          const replies = new PriorityReplies();
          let scores: readonly Entry[] = first;
          expect(replies.reply(scores).toString('utf8')).toBe(expected(scores));
          for (const s of steps) {
            if (s.length > 0 && !Array.isArray(s[0])) scores = s as Entry[];
            else {
              const next = [...scores];
              for (const [at, entry] of s as [number, Entry][])
                if (next.length > 0) next[at % next.length] = entry;
              scores = next;
            }
            expect(replies.reply(scores).toString('utf8')).toBe(expected(scores));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
