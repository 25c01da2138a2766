// The prioritize reply written from a recent one's bytes must be byte for byte the JSON of the non-zero
// scores, whatever changed between the two arrays (scores, hosts leaving or joining the list, another
// list altogether), and that path must be the one taken when few entries changed (as after a bind).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostScore } from '../../src/app/verbs.js';
import { ScoreReplyEncoder } from '../../src/extender/score-reply.js';

/** What the route wrote before the encoder: JSON.stringify of the non-zero entries. */
function expected(scores: readonly HostScore[]): string {
  return JSON.stringify(scores.filter((s) => s.score !== 0).map((s) => ({ Host: s.host, Score: s.score })));
}

const host = fc.oneof(
  fc.stringMatching(/^[a-z0-9.-]{1,8}$/),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('a"b', 'a\\b', 'é-ü', '节点', 'x y'),
);
const score = fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(0));

/** An edit as the scheduling service makes one: entry i gets a new score (a new object). */
const edit = fc.record({ at: fc.nat(), score });

/** A new array reusing `before`'s entries except at the edited positions, as `scaled` does. */
function edited(before: readonly HostScore[], edits: readonly { at: number; score: number }[]): HostScore[] {
  const out = [...before];
  for (const { at, score: s } of edits) {
    const i = at % out.length;
    out[i] = { host: out[i]!.host, score: s };
  }
  return out;
}

/** One list cut from `hosts` by `kept`, with a score per host (as filter → prioritize cuts it). */
function cut(hosts: readonly string[], kept: readonly boolean[], scores: readonly number[]): HostScore[] {
  return hosts.flatMap((host, i) => (kept[i] ? [{ host, score: scores[i]! }] : []));
}

describe('ScoreReplyEncoder', () => {
  it('writes the JSON of the non-zero scores as hosts leave and join the list and scores move', () => {
    fc.assert(
      fc.property(
        fc.array(host, { minLength: 1, maxLength: 40 }),
        fc.array(
          fc.record({
            toggle: fc.array(fc.nat(), { maxLength: 7 }),
            edits: fc.array(edit, { maxLength: 3 }),
          }),
          {
            maxLength: 10,
          },
        ),
        fc.array(score, { minLength: 40, maxLength: 40 }),
        (hosts, rounds, initial) => {
          const encoder = new ScoreReplyEncoder();
          const kept = hosts.map(() => true);
          const scores = initial.slice(0, hosts.length);
          for (const { toggle, edits } of [{ toggle: [], edits: [] }, ...rounds]) {
            for (const t of toggle) kept[t % hosts.length] = !kept[t % hosts.length];
            for (const { at, score: s } of edits) scores[at % hosts.length] = s;
            const list = cut(hosts, kept, scores);
            expect(encoder.encode(list).toString('utf8')).toBe(expected(list));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('writes the JSON of the non-zero scores after any sequence of edits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ host, score }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.array(edit, { maxLength: 6 }), { maxLength: 12 }),
        (first, rounds) => {
          const encoder = new ScoreReplyEncoder();
          let scores: HostScore[] = first;
          expect(encoder.encode(scores).toString('utf8')).toBe(expected(scores));
          for (const edits of rounds) {
            scores = edited(scores, edits);
            expect(encoder.encode(scores).toString('utf8')).toBe(expected(scores));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('patches the reply when one entry of many changed, and answers the same array with the same bytes', () => {
    const encoder = new ScoreReplyEncoder();
    const scores = Array.from({ length: 500 }, (_, i) => ({ host: `node-${i}`, score: i % 11 }));
    const first = encoder.encode(scores);
    expect(encoder.encode(scores)).toBe(first);
    let current = scores;
    for (const [at, s] of [
      [0, 7],
      [499, 0],
      [499, 3],
      [250, 0],
      [1, 10],
    ] as const) {
      current = edited(current, [{ at, score: s }]);
      expect(encoder.encode(current).toString('utf8')).toBe(expected(current));
    }
    expect(encoder.patched).toBe(5);
  });

  it('patches the reply when a host left the list or joined it, with fresh entry objects', () => {
    const encoder = new ScoreReplyEncoder();
    const hosts = Array.from({ length: 500 }, (_, i) => `node-${i}`);
    const scores = hosts.map((_, i) => 1 + (i % 10));
    const kept = hosts.map(() => true);
    encoder.encode(cut(hosts, kept, scores));
    for (const gone of [0, 17, 18, 19, 499, 250]) {
      kept[gone] = false;
      const list = cut(hosts, kept, scores);
      expect(encoder.encode(list).toString('utf8')).toBe(expected(list));
    }
    kept[18] = true;
    const back = cut(hosts, kept, scores);
    expect(encoder.encode(back).toString('utf8')).toBe(expected(back));
    expect(encoder.patched).toBe(7);
  });

  it('encodes afresh when most entries changed or the list is another', () => {
    const encoder = new ScoreReplyEncoder();
    const scores = Array.from({ length: 100 }, (_, i) => ({ host: `node-${i}`, score: 1 + (i % 10) }));
    encoder.encode(scores);
    const rescaled = scores.map((s) => ({ host: s.host, score: 11 - s.score }));
    expect(encoder.encode(rescaled).toString('utf8')).toBe(expected(rescaled));
    const other = scores.map((s) => ({ host: `other-${s.host}`, score: s.score }));
    expect(encoder.encode(other).toString('utf8')).toBe(expected(other));
    expect(encoder.patched).toBe(0);
  });

  it('writes [] when every score is zero, also after a patch', () => {
    const encoder = new ScoreReplyEncoder();
    const scores = Array.from({ length: 10 }, (_, i) => ({ host: `n${i}`, score: i === 3 ? 4 : 0 }));
    expect(encoder.encode(scores).toString()).toBe(expected(scores));
    const zero = edited(scores, [{ at: 3, score: 0 }]);
    expect(encoder.encode(zero).toString()).toBe('[]');
    const back = edited(zero, [{ at: 9, score: 2 }]);
    expect(encoder.encode(back).toString()).toBe(expected(back));
  });
});
