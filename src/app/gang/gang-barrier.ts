// The bind barrier of gang plans. Each member's bind parks here until every slot of its gang is
// waiting or bound; then every waiting member is checked to still exist and all are bound at once.
// A barrier that is not complete bindBarrierMs after its first arrival is released: every waiting
// member gets an error (none binds) and the plan's reservations are returned.
import {
  slotHolder,
  type GangRecord,
  type GangSlot,
  type GangTracker,
} from '../../core/gang/gang-tracker.js';
import { Decision } from '../../core/names.js';
import type { Clock } from '../../core/types.js';
import type { BindingWriter } from '../binding/binding-writer.js';
import type { ReleaseCause } from './gang-types.js';
import type { GangSlots } from './gang-slots.js';
import type { PodReader } from '../ports.js';

export interface GangBarrierDeps {
  readonly tracker: GangTracker;
  readonly slots: GangSlots;
  readonly pods: PodReader;
  readonly clock: Clock;
  readonly barrierMs: number;
  readonly binding: BindingWriter;
  readonly expiresAt: (gang: GangRecord) => number;
  readonly onReleased: (gang: GangRecord, cause: ReleaseCause) => void;
  readonly onBound: (gang: GangRecord) => void;
}

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
    const result = await this.bindSlot(gang, slot);
    if (result === '') {
      gang.anchored = true;
      this.settleBound(gang, slot);
      if (this.deps.tracker.get(gang.key) === gang) this.deps.slots.renew(gang, this.deps.expiresAt(gang));
    } else {
      this.giveBack(gang, slot);
    }
    return result;
  }

  /** Releases the plan; every waiting member is told why. Ignored while the gang's binds are in flight. */
  release(gang: GangRecord, cause: ReleaseCause, reason: string): void {
    if (this.committing.has(gang.key) || this.deps.tracker.get(gang.key) !== gang) return;
    this.disarm(gang.key);
    const waiting = this.deps.tracker.waiting(gang);
    const unbound = this.deps.tracker.remove(gang.key);
    this.deps.slots.release(gang, unbound);
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
    let missing: string | undefined;
    try {
      const waiting = this.deps.tracker.waiting(gang);
      missing = await this.firstMissing(waiting);
      if (missing !== undefined) return;
      const results = await Promise.all(waiting.map((slot) => this.bindSlot(gang, slot)));
      waiting.forEach((slot, i) => {
        const result = results[i] ?? 'no bind result';
        if (result === '') this.settleBound(gang, slot);
        else {
          this.settle(slot, result);
          this.giveBack(gang, slot);
        }
      });
      if (this.deps.tracker.get(gang.key) === gang && gang.slots.some((s) => s.phase === 'bound')) {
        gang.anchored = true;
      }
    } finally {
      this.committing.delete(gang.key);
      if (missing !== undefined) this.release(gang, 'member-deleted', `member ${missing} was deleted`);
    }
  }

  private bindSlot(gang: GangRecord, slot: GangSlot): Promise<string> {
    const member = slot.member;
    if (member === undefined) return Promise.resolve(`slot ${slot.index} of gang ${gang.name} has no member`);
    return this.deps.binding.write(member, slot.node, slot.assignment, {
      [Decision.placementLevel]: gang.level,
    });
  }

  private settleBound(gang: GangRecord, slot: GangSlot): void {
    this.deps.tracker.markBound(gang, slot);
    this.settle(slot, '');
    if (this.deps.tracker.get(gang.key) === undefined) this.deps.onBound(gang);
  }

  /** A failed bind: the slot goes back to an open holder for the member's next attempt. */
  private giveBack(gang: GangRecord, slot: GangSlot): void {
    const kept = this.deps.slots.takeBack(gang, slot, this.deps.expiresAt(gang));
    this.deps.tracker.reopen(gang, slot);
    if (!kept) this.release(gang, 'capacity-lost', `the slot on ${slot.node} was lost`);
  }

  private async firstMissing(slots: readonly GangSlot[]): Promise<string | undefined> {
    const found = await Promise.all(
      slots.map((s) =>
        s.member
          ? this.deps.pods.getPod(s.member.namespace, s.member.name, s.member.uid)
          : Promise.resolve(undefined),
      ),
    );
    const i = found.findIndex((pod) => pod === undefined);
    const member = i < 0 ? undefined : slots[i]?.member;
    return i < 0 ? undefined : member ? `${member.namespace}/${member.name}` : `slot ${i}`;
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
