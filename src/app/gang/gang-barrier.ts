// The bind barrier of gang plans. Each member's bind parks here until every slot of its gang is
// waiting or bound; then every waiting member is checked to still exist and all are bound at once.
// A barrier that is not complete bindBarrierMs after its first arrival is released: every waiting
// member gets an error (none binds) and the plan's reservations are returned.
// After the barrier opens, a member whose Binding fails is retried while the scheduler still waits
// (its extender httpTimeout, counted from the first arrival); if it still cannot be bound, the gang
// is unwound: the members that are or may be bound are evicted (binding/gang-unwind.ts) and the
// plan released. A gang is bound whole or not at all.
import {
  slotHolder,
  type GangRecord,
  type GangSlot,
  type GangTracker,
} from '../../core/gang/gang-tracker.js';
import { Decision } from '../../core/names.js';
import type { Clock } from '../../core/types.js';
import { bindWithRetry } from '../binding/bind-retry.js';
import type { BindAttempt, BindingWriter } from '../binding/binding-writer.js';
import { GANG_BIND_FAILED, unwindGang, type GangUnwindDeps } from '../binding/gang-unwind.js';
import type { ReleaseCause } from './gang-types.js';
import type { GangSlots } from './gang-slots.js';
import type { PodReader, PodRef } from '../ports.js';

export interface GangBarrierDeps {
  readonly tracker: GangTracker;
  readonly slots: GangSlots;
  readonly pods: PodReader;
  readonly clock: Clock;
  readonly barrierMs: number;
  readonly binding: BindingWriter;
  readonly expiresAt: (gang: GangRecord) => number;
  readonly onReleased: (gang: GangRecord, cause: ReleaseCause) => void;
  /** `commitMs`: from the barrier opening to the last member's Binding written (absent when the
   * gang's last member was bound on its own, leader-first). */
  readonly onBound: (gang: GangRecord, commitMs?: number) => void;
  /** How long the scheduler waits for a bind (its extender httpTimeout); retries end before it. */
  readonly bindTimeoutMs: number;
  /** Evicts what is bound of a gang that cannot be bound whole. */
  readonly unwind: GangUnwindDeps;
}

/** Kept free before the scheduler's bind deadline: one API request's own deadline, so the last
 * attempt also answers in time. */
const BIND_ANSWER_MARGIN_MS = 5_000;

interface Waiter {
  readonly promise: Promise<string>;
  readonly resolve: (result: string) => void;
}

export class GangBarrier {
  private readonly deps: GangBarrierDeps;
  private readonly waiters = new Map<string, Waiter>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Gangs whose binds are in flight: their outcome, not a release, settles the waiters. */
  private readonly committing = new Set<string>();

  constructor(deps: GangBarrierDeps) {
    this.deps = deps;
  }

  /** The member reached bind; resolves with '' once bound or with the reason it was not. */
  arrive(gang: GangRecord, slot: GangSlot): Promise<string> {
    if (slot.phase === 'bound') return Promise.resolve('');
    const uid = slot.member?.uid ?? slotHolder(gang, slot);
    const pending = this.waiters.get(uid);
    if (pending !== undefined) return pending.promise;
    const waiter = this.waiterFor(uid);
    const complete = this.deps.tracker.arrive(gang, slot, this.deps.clock.now());
    this.deps.slots.renew(gang, this.deps.expiresAt(gang));
    if (complete) void this.open(gang);
    else this.arm(gang);
    return waiter.promise;
  }

  /** Binds one member ahead of the others (leader-first); its peers' slots stay reserved. */
  async bindAhead(gang: GangRecord, slot: GangSlot): Promise<string> {
    const now = this.deps.clock.now();
    const outcome = await this.bindSlot(gang, slot, now + this.deps.bindTimeoutMs - BIND_ANSWER_MARGIN_MS);
    if (outcome.kind === 'bound') {
      gang.anchored = true;
      this.settleBound(gang, slot);
      if (this.deps.tracker.get(gang.key) === gang) this.deps.slots.renew(gang, this.deps.expiresAt(gang));
      return '';
    }
    if (outcome.maybeBound) {
      // The leader may be bound: its reservation stays under its UID (the informer commits it, or
      // it expires); the workers' slots go, they are planned around the leader once it is seen.
      this.deps.tracker.reopen(gang, slot);
      this.release(gang, 'bind-failed', `the leader's bind has an unknown outcome`);
    } else {
      this.giveBack(gang, slot);
    }
    return outcome.reason;
  }

  /** Releases the plan; every waiting member is told why. Ignored while the gang's binds are in flight. */
  release(gang: GangRecord, cause: ReleaseCause, reason: string): void {
    if (this.committing.has(gang.key) || this.deps.tracker.get(gang.key) !== gang) return;
    this.disarm(gang.key);
    const waiting = this.deps.tracker.waiting(gang);
    this.dropPlan(gang);
    for (const slot of waiting) {
      this.settle(
        slot,
        `gang ${gang.name}: ${reason}; the plan was released and no waiting member was bound`,
      );
    }
    this.deps.onReleased(gang, cause);
  }

  private async open(gang: GangRecord): Promise<void> {
    this.disarm(gang.key);
    this.committing.add(gang.key);
    let released: { cause: ReleaseCause; reason: string } | undefined;
    try {
      const waiting = this.deps.tracker.waiting(gang);
      const missing = await this.firstMissing(waiting);
      if (missing !== undefined) {
        released = missing;
        return;
      }
      const deadline =
        (gang.firstArrival ?? this.deps.clock.now()) + this.deps.bindTimeoutMs - BIND_ANSWER_MARGIN_MS;
      const openedAt = this.deps.clock.now();
      const outcomes = await Promise.all(waiting.map((slot) => this.bindSlot(gang, slot, deadline)));
      if (outcomes.every((o) => o.kind === 'bound')) {
        const commitMs = this.deps.clock.now() - openedAt;
        for (const slot of waiting) this.settleBound(gang, slot, commitMs);
        return;
      }
      this.unwind(gang, waiting, outcomes);
    } finally {
      this.committing.delete(gang.key);
      if (released !== undefined) this.release(gang, released.cause, released.reason);
    }
  }

  /**
   * Some member could not be bound: evict every member that is or may be bound, release the plan,
   * and tell each waiting member. A member whose bind outcome is unknown keeps its reservation
   * under its UID until its pod is seen bound or gone (or the reservation expires).
   */
  private unwind(gang: GangRecord, waiting: readonly GangSlot[], outcomes: readonly BindAttempt[]): void {
    const failedAt = outcomes.findIndex((o) => o.kind === 'failed');
    const failure = outcomes[failedAt];
    const who = describe(waiting[failedAt]?.member);
    const cause = failure?.kind === 'failed' ? failure.reason : 'no bind result';
    const why = `gang ${gang.name}: member ${who} could not be bound (${cause})`;
    const evict: PodRef[] = gang.slots.filter((s) => s.phase === 'bound').flatMap((s) => s.member ?? []);
    const answers = new Map<GangSlot, string>();
    waiting.forEach((slot, i) => {
      const outcome = outcomes[i];
      const member = slot.member;
      if (member === undefined || outcome === undefined) return;
      if (outcome.kind === 'bound') {
        evict.push(member);
        answers.set(slot, '');
        return;
      }
      answers.set(slot, `${why}; the gang's bound members are evicted so it is placed again as a whole`);
      if (outcome.maybeBound) evict.push(member);
      else this.deps.unwind.events?.podEvent(member, 'Warning', GANG_BIND_FAILED, answers.get(slot) ?? why);
    });
    this.disarm(gang.key);
    for (const [slot, answer] of answers) {
      this.settle(slot, answer);
      // Detached from the plan, so releasing it leaves the member's own holding alone: committed
      // when bound (the informer releases it once the eviction lands), reserved when maybe bound.
      const outcome = outcomes[waiting.indexOf(slot)];
      if (outcome?.kind === 'bound' || (outcome?.kind === 'failed' && outcome.maybeBound)) {
        this.deps.tracker.reopen(gang, slot);
      }
    }
    this.dropPlan(gang);
    this.deps.onReleased(gang, 'bind-failed');
    void unwindGang(this.deps.unwind, evict, why);
  }

  /** Forgets the plan and returns the reservations of its slots (never a member's commitment). */
  private dropPlan(gang: GangRecord): void {
    const unbound = this.deps.tracker.remove(gang.key);
    this.deps.slots.release(gang, unbound);
  }

  private bindSlot(gang: GangRecord, slot: GangSlot, deadline: number): Promise<BindAttempt> {
    const member = slot.member;
    if (member === undefined) {
      const reason = `slot ${slot.index} of gang ${gang.name} has no member`;
      return Promise.resolve({ kind: 'failed', reason, retry: false, maybeBound: false });
    }
    const extra = { [Decision.placementLevel]: gang.level };
    return bindWithRetry(() => this.deps.binding.attempt(member, slot.node, slot.assignment, extra), {
      clock: this.deps.clock,
      deadline,
      sleep: this.deps.unwind.sleep,
    });
  }

  private settleBound(gang: GangRecord, slot: GangSlot, commitMs?: number): void {
    this.deps.tracker.markBound(gang, slot);
    this.settle(slot, '');
    if (this.deps.tracker.get(gang.key) === undefined) this.deps.onBound(gang, commitMs);
  }

  /** A failed bind: the slot goes back to an open holder for the member's next attempt. */
  private giveBack(gang: GangRecord, slot: GangSlot): void {
    const kept = this.deps.slots.takeBack(gang, slot, this.deps.expiresAt(gang));
    this.deps.tracker.reopen(gang, slot);
    if (!kept) this.release(gang, 'capacity-lost', `the slot on ${slot.node} was lost`);
  }

  /** Why the plan must be released instead of bound: a member deleted, or the members unreadable. */
  private async firstMissing(
    slots: readonly GangSlot[],
  ): Promise<{ cause: ReleaseCause; reason: string } | undefined> {
    let found: (object | undefined)[];
    try {
      found = await Promise.all(
        slots.map((s) =>
          s.member
            ? this.deps.pods.getPod(s.member.namespace, s.member.name, s.member.uid)
            : Promise.resolve(undefined),
        ),
      );
    } catch (err) {
      // Nothing is bound yet: letting every member retry is safe, guessing is not.
      const reason = `its members could not be read before binding (${(err as Error).message})`;
      return { cause: 'bind-failed', reason };
    }
    const i = found.findIndex((pod) => pod === undefined);
    if (i < 0) return undefined;
    const member = slots[i]?.member;
    return {
      cause: 'member-deleted',
      reason: `member ${member ? describe(member) : `slot ${i}`} was deleted`,
    };
  }

  private arm(gang: GangRecord): void {
    if (this.timers.has(gang.key)) return;
    const deadline = (gang.firstArrival ?? this.deps.clock.now()) + this.deps.barrierMs;
    const delay = Math.max(0, deadline - this.deps.clock.now());
    const timer = setTimeout(() => {
      this.timers.delete(gang.key);
      const arrived = gang.slots.filter((s) => s.phase === 'waiting' || s.phase === 'bound').length;
      this.release(
        gang,
        'barrier-timeout',
        `only ${arrived} of ${gang.slots.length} members reached bind within ${this.deps.barrierMs / 1000}s`,
      );
    }, delay);
    timer.unref?.();
    this.timers.set(gang.key, timer);
  }

  private disarm(key: string): void {
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
  }

  private waiterFor(uid: string): Waiter {
    let resolve!: (result: string) => void;
    const promise = new Promise<string>((r) => (resolve = r));
    const waiter = { promise, resolve };
    this.waiters.set(uid, waiter);
    return waiter;
  }

  private settle(slot: GangSlot, result: string): void {
    const uid = slot.member?.uid;
    if (uid === undefined) return;
    this.waiters.get(uid)?.resolve(result);
    this.waiters.delete(uid);
  }
}

function describe(member: PodRef | undefined): string {
  return member ? `${member.namespace}/${member.name}` : 'of an empty slot';
}
