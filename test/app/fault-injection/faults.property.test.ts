// Fault injection over the app layer (issue 17): random gangs and fractional pods scheduled through
// the leader while the API server fails calls (refusals, 5xx, timeouts that did or did not land,
// failed reads and evictions), members are deleted mid-barrier, nodes vanish, replicas restart and
// the Lease moves — then, with faults off and the world left to settle, the invariants of
// invariants.ts must hold. Time is vitest's fake clock: no run waits for real.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANCHORED_HOLD_MS, TTL_MS } from './replica.js';
import { FaultWorld } from './fault-world.js';
import { action, run, seeded, settle, workload } from './scenario.js';
import { leakedReservations, violations } from './invariants.js';

const RUNS = Number(process.env['PHALANX_FAULT_RUNS'] ?? 1_000);

/** What the runs went through, so a harness that stopped exercising the faults is noticed. */
const seen = { runs: 0, binds: 0, gangUnwinds: 0, halfBoundUnwinds: 0, faultyRuns: 0 };
function tally(world: FaultWorld): void {
  seen.runs += 1;
  seen.binds += world.cluster.log.filter((l) => l.startsWith('bind ')).length;
  seen.gangUnwinds += world.cluster.log.some((l) => l.includes('could not be bound')) ? 1 : 0;
  seen.halfBoundUnwinds += world.cluster.log.some((l) => l.includes('the rest cannot join them')) ? 1 : 0;
  seen.faultyRuns += world.cluster.injected > 0 ? 1 : 0;
}

describe('fault injection over the app layer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it(`keeps every invariant through API faults, deletions, node loss, restarts and failovers (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.constantFrom(0, 0.1, 0.2, 0.4),
        fc.array(workload, { minLength: 1, maxLength: 4 }),
        fc.array(action, { minLength: 5, maxLength: 40 }),
        async (seed, faultRate, initial, actions) => {
          vi.clearAllTimers();
          const world = new FaultWorld(seeded(seed));
          world.cluster.faultRate = faultRate;
          try {
            for (const w of initial) world.submit(w);
            for (const a of actions) await run(world, a);
            await settle(world);
            tally(world);
            expect(violations(world)).toEqual([]);
            await world.tick(TTL_MS + ANCHORED_HOLD_MS + 60_000);
            expect(leakedReservations(world)).toEqual([]);
          } finally {
            for (const r of world.replicas) r.kill();
          }
        },
      ),
      { numRuns: RUNS },
    );
    if (process.env['PHALANX_FAULT_STATS']) console.log(seen);
    // The runs must actually go through what they claim to test.
    expect(seen.binds).toBeGreaterThan(RUNS);
    expect(seen.faultyRuns).toBeGreaterThan(RUNS / 2);
    if (RUNS >= 1_000) expect(seen.gangUnwinds).toBeGreaterThan(RUNS / 250);
  }, 600_000);
});
