import { describe, expect, it } from 'vitest';
import { CREATE_SEEN_WITHIN_MS, CreatesInFlight } from '../../../src/app/autoscaling/creates-in-flight.js';

describe('CreatesInFlight', () => {
  it('holds a sent create back until its object is seen', () => {
    const inFlight = new CreatesInFlight();
    inFlight.sent('a', 1_000);
    inFlight.sent('b', 1_000);
    expect([...inFlight.pending(2_000)].sort()).toEqual(['a', 'b']);
    inFlight.settled('a');
    expect([...inFlight.pending(2_000)]).toEqual(['b']);
  });

  it('forgets a create never seen once the window has passed, so it is sent again', () => {
    const inFlight = new CreatesInFlight();
    inFlight.sent('lost', 0);
    inFlight.sent('recent', CREATE_SEEN_WITHIN_MS);
    expect([...inFlight.pending(CREATE_SEEN_WITHIN_MS)].sort()).toEqual(['lost', 'recent']);
    expect([...inFlight.pending(CREATE_SEEN_WITHIN_MS + 1)]).toEqual(['recent']);
    // Forgotten for good: an earlier `now` does not bring it back.
    expect([...inFlight.pending(0)]).toEqual(['recent']);
  });

  it('a failed create is not in flight; sending it again restarts its window', () => {
    const inFlight = new CreatesInFlight();
    inFlight.sent('x', 0);
    inFlight.settled('x');
    expect(inFlight.pending(1).size).toBe(0);
    inFlight.sent('x', 10 * CREATE_SEEN_WITHIN_MS);
    expect([...inFlight.pending(10 * CREATE_SEEN_WITHIN_MS + 1)]).toEqual(['x']);
  });
});
