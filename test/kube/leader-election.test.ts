import { describe, expect, it } from 'vitest';
import { LeaderElector, type LeaderElectionOptions } from '../../src/kube/leader-election.js';
import { toLease, toRecord } from '../../src/kube/lease-store.js';
import { FakeClock } from '../fakes/kube-clock.js';
import { InMemoryLease } from '../fakes/kube-lease-store.js';
import { recordingLogger } from '../fakes/kube-logger.js';

function elector(
  lease: InMemoryLease,
  clock: FakeClock,
  identity: string,
  extra: Partial<LeaderElectionOptions> = {},
) {
  const events: string[] = [];
  const e = new LeaderElector({
    store: lease.store(),
    identity,
    clock,
    logger: recordingLogger(),
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
    ...extra,
  });
  return { e, events };
}

describe('LeaderElector', () => {
  it('creates the lease and leads when none exists', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const { e, events } = elector(lease, clock, 'a');
    expect(e.isLeader()).toBe(false);
    await e.round();
    expect(e.isLeader()).toBe(true);
    expect(events).toEqual(['started']);
    expect(lease.record).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(lease.record?.renewTimeMs).toBe(clock.ms);
  });

  it('lets only one of two electors lead while the leader renews', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const a = elector(lease, clock, 'a');
    const b = elector(lease, clock, 'b');
    for (let i = 0; i < 20; i++) {
      await a.e.round();
      await b.e.round();
      expect([a.e.isLeader(), b.e.isLeader()]).toEqual([true, false]);
      clock.advance(2_000);
    }
    expect(b.events).toEqual([]);
    expect(lease.record?.holderIdentity).toBe('a');
  });

  it('takes over only after the lease went unrenewed for a full duration on its own clock', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const a = elector(lease, clock, 'a');
    const b = elector(lease, clock, 'b');
    await a.e.round();
    await b.e.round(); // b first observes a's record now
    clock.advance(14_999);
    await b.e.round();
    expect(b.e.isLeader()).toBe(false);
    clock.advance(1);
    await b.e.round();
    expect(b.e.isLeader()).toBe(true);
    expect(lease.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // The old leader sees another holder and steps down at its next round.
    await a.e.round();
    expect(a.e.isLeader()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
  });

  it('steps down when it cannot renew within the renew deadline', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const a = elector(lease, clock, 'a');
    await a.e.round();
    lease.failure = new Error('connection refused');
    clock.advance(9_000);
    await a.e.round();
    expect(a.events).toEqual(['started']);
    clock.advance(1_000);
    // isLeader() already turns false at the deadline, even before the next round runs.
    expect(a.e.isLeader()).toBe(false);
    await a.e.round();
    expect(a.events).toEqual(['started', 'stopped']);
  });

  it('fences writes a margin before the renew deadline, dated from the start of the renewing round', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const a = elector(lease, clock, 'a', { fenceMarginMs: 3_000 });
    expect(a.e.holdsLeaseWithMargin()).toBe(false);
    const store = lease.store();
    // A renewal whose round takes 1 s counts from when it was sent, not when it was answered.
    const slow = { ...store, get: async () => (clock.advance(1_000), store.get()) };
    const b = elector(lease, clock, 'a', { fenceMarginMs: 3_000, store: slow });
    await b.e.round();
    const sentAt = clock.ms - 1_000;
    clock.ms = sentAt + 6_999;
    expect(b.e.holdsLeaseWithMargin()).toBe(true);
    clock.ms = sentAt + 7_000;
    expect(b.e.holdsLeaseWithMargin()).toBe(false);
    // Still leader (serving answers refuse through the fence), but writes already stopped.
    expect(b.e.isLeader()).toBe(true);
  });

  it('refuses a fence margin that leaves no time between renewals', () => {
    expect(() => elector(new InMemoryLease(), new FakeClock(), 'a', { fenceMarginMs: 8_000 })).toThrow(
      /fenceMargin/,
    );
  });

  it('loses a write race without leading (optimistic concurrency on resourceVersion)', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const a = elector(lease, clock, 'a');
    const b = elector(lease, clock, 'b');
    await Promise.all([a.e.round(), b.e.round()]);
    expect([a.e.isLeader(), b.e.isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it('releases on stop so the other replica takes over at its next round', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const a = elector(lease, clock, 'a');
    const b = elector(lease, clock, 'b');
    await a.e.round();
    await b.e.round();
    await a.e.stop();
    expect(a.e.isLeader()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
    expect(lease.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    clock.advance(2_000);
    await b.e.round();
    expect(b.e.isLeader()).toBe(true);
  });

  it('keeps acquireTime across renewals and runs rounds in the background loop', async () => {
    const lease = new InMemoryLease();
    const clock = new FakeClock();
    const sleeps: number[] = [];
    const { e } = elector(lease, clock, 'a', {
      random: () => 0.5,
      sleep: async (ms, signal) => {
        sleeps.push(ms);
        clock.advance(ms);
        if (sleeps.length >= 5) await new Promise((resolve) => signal.addEventListener('abort', resolve));
      },
    });
    const acquiredAt = clock.ms;
    e.start();
    await waitFor(() => sleeps.length >= 5);
    expect(e.isLeader()).toBe(true);
    expect(lease.record?.acquireTimeMs).toBe(acquiredAt);
    expect(lease.record?.renewTimeMs).toBe(acquiredAt + 4 * 2_000);
    expect(sleeps).toEqual([2_000, 2_000, 2_000, 2_000, 2_000]);
    await e.stop();
    expect(lease.record?.holderIdentity).toBe('');
  });

  it('rejects inconsistent timings', () => {
    const lease = new InMemoryLease();
    expect(() => elector(lease, new FakeClock(), 'a', { renewDeadlineMs: 20_000 })).toThrow(
      /leaseDuration > renewDeadline > retryPeriod/,
    );
  });
});

describe('Lease conversion', () => {
  it('writes MicroTime with six fractional digits and reads it back', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const lease = toLease(
      {
        holderIdentity: 'a',
        leaseDurationSeconds: 15,
        acquireTimeMs: ms,
        renewTimeMs: ms,
        leaseTransitions: 2,
      },
      'phalanx',
      'phalanx-system',
      '42',
    );
    const wire = JSON.parse(JSON.stringify(lease)) as { spec: { renewTime: string } };
    expect(wire.spec.renewTime).toBe('2026-01-02T03:04:05.678000Z');
    expect(toRecord(lease)).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTimeMs: ms,
      renewTimeMs: ms,
      leaseTransitions: 2,
      resourceVersion: '42',
    });
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(cond()).toBe(true);
}
