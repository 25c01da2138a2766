// Capacity freed by a preemption, held for its preemptor. Victims keep their GPUs in the ledger until
// their pods are gone (a terminating pod still runs); the moment a victim's holding is released the
// ledger tells us (onNodeChange, synchronously, inside the release), and each of the preemptor's
// planned assignments that now fits is reserved at once, so no filter in between can hand it to
// someone else. A single pod's hold is a reservation under its own UID (filter offers it that node,
// bind uses it); a gang's slots are reserved under hold UIDs and lent to the gang's planner when it
// plans (restored if the plan fails). Every hold ends: preemptor bound, deleted, or its TTL passed.
import type { ClusterState } from '../../core/cluster-state.js';
import type { Assignment } from '../../core/types.js';
import { ReleaseWaiters } from './release-waiters.js';

export type SlotState = 'waiting' | 'reserved' | 'lent';

interface HoldSlot {
  readonly uid: string;
  readonly assignment: Assignment;
  state: SlotState;
}

export interface HoldSpec {
  /** The preemptor's gang key, or "pod:<uid>" for a single pod. */
  readonly key: string;
  readonly gangKey?: string;
  /** A single pod's UID: its slot is reserved under it. */
  readonly podUid?: string;
  readonly assignments: readonly Assignment[];
  readonly expiresAt: number;
  readonly decidedAt: number;
  /** Where the capacity was freed, for messages. */
  readonly domain: string;
}

export interface Hold extends HoldSpec {
  readonly slots: readonly { readonly uid: string; readonly node: string; readonly state: SlotState }[];
}

/** Hold UIDs of gang slots are never pod UIDs (which are RFC 4122 UUIDs). */
const HOLD_UID_PREFIX = 'preemption-hold/';

export function isHoldUid(uid: string): boolean {
  return uid.startsWith(HOLD_UID_PREFIX);
}

/** A hold's key: the preemptor's gang key, or "pod:<uid>" for a single pod. */
export function holdKey(gangKey: string | undefined, podUid: string | undefined): string {
  return gangKey ?? `pod:${podUid ?? ''}`;
}

export class PreemptionHolds {
  readonly #state: ClusterState;
  readonly #holds = new Map<string, { spec: HoldSpec; slots: HoldSlot[] }>();
  /** Node → keys of holds with a slot there. */
  readonly #byNode = new Map<string, Set<string>>();
  readonly #waiters: ReleaseWaiters;
  #reserving = false;

  constructor(state: ClusterState, waitMs?: number) {
    this.#state = state;
    // First: a change reserves the slots it freed before any waiter looks at them.
    state.ledger.onNodeChange((node) => this.#nodeChanged(node));
    this.#waiters = new ReleaseWaiters(state.ledger, waitMs);
  }

  /** Starts holding (replacing an older hold of the same key); reserves what already fits. */
  add(spec: HoldSpec): void {
    this.finish(spec.key);
    const slots = spec.assignments.map((assignment, i): HoldSlot => ({
      uid: spec.podUid ?? `${HOLD_UID_PREFIX}${spec.key}#${i}`,
      assignment,
      state: 'waiting',
    }));
    this.#holds.set(spec.key, { spec, slots });
    for (const slot of slots) {
      let keys = this.#byNode.get(slot.assignment.node);
      if (keys === undefined) this.#byNode.set(slot.assignment.node, (keys = new Set()));
      keys.add(spec.key);
    }
    for (const slot of slots) this.#tryReserve(spec, slot);
  }

  get(key: string): Hold | undefined {
    const hold = this.#holds.get(key);
    if (hold === undefined) return undefined;
    return {
      ...hold.spec,
      slots: hold.slots.map((s) => ({ uid: s.uid, node: s.assignment.node, state: s.state })),
    };
  }

  keys(): string[] {
    return [...this.#holds.keys()];
  }

  /**
   * Frees a gang's reserved slots for its own planner; the returned function holds them again (for
   * a plan that failed). Undefined when the gang has no hold.
   */
  lend(gangKey: string): (() => void) | undefined {
    const hold = this.#holds.get(gangKey);
    if (hold === undefined) return undefined;
    const lent = hold.slots.filter((s) => s.state === 'reserved');
    for (const slot of lent) {
      slot.state = 'lent';
      this.#state.release(slot.uid);
    }
    return () => {
      if (this.#holds.get(gangKey) !== hold) return;
      for (const slot of lent) {
        slot.state = 'waiting';
        this.#tryReserve(hold.spec, slot);
      }
    };
  }

  /**
   * Slots of a hold still waiting for their victims to be gone; undefined without a hold. A
   * preemptor that fails while this is above 0 will be retried by the victims' deletion events.
   */
  awaitingVictims(key: string): number | undefined {
    return this.#holds.get(key)?.slots.filter((s) => s.state === 'waiting').length;
  }

  /**
   * When kube-scheduler offers a node where a whole-GPU slot of this hold still waits for its
   * victims (whole GPUs it counts: it has seen them go, Phalanx not yet), resolves to undefined once
   * those slots are reserved, or to why not after the bounded wait (at once when this hold was
   * waited for already). Undefined otherwise: shares are invisible to the scheduler, whose offer
   * then says nothing, and the victims' deletion events requeue the pod.
   */
  released(key: string, offered: readonly string[]): Promise<string | undefined> | undefined {
    const hold = this.#holds.get(key);
    if (hold === undefined) return undefined;
    const offeredSet = new Set(offered);
    const waitingOn = () =>
      new Set(
        hold.slots
          .filter((s) => s.state === 'waiting' && s.assignment.whole && offeredSet.has(s.assignment.node))
          .map((s) => s.assignment.node),
      );
    const nodes = waitingOn();
    if (nodes.size === 0) return undefined;
    const reason = `the pods preempted for it still hold GPUs on ${[...nodes].join(', ')} in Phalanx's view`;
    return this.#waiters.waitOnce(hold, nodes, () => waitingOn().size === 0, reason);
  }

  /** Ends a hold; its reservations still held are released (a bound pod's commitment stays). */
  finish(key: string): HoldSpec | undefined {
    const hold = this.#holds.get(key);
    if (hold === undefined) return undefined;
    this.#holds.delete(key);
    for (const slot of hold.slots) {
      this.#byNode.get(slot.assignment.node)?.delete(key);
      if (slot.state === 'reserved' && this.#state.holding(slot.uid)?.state === 'reserved')
        this.#state.release(slot.uid);
    }
    return hold.spec;
  }

  /** Ends the holds whose TTL passed; returns them. */
  expire(now: number): HoldSpec[] {
    const done: HoldSpec[] = [];
    for (const [key, hold] of this.#holds) {
      if (hold.spec.expiresAt > now) continue;
      const spec = this.finish(key);
      if (spec !== undefined) done.push(spec);
    }
    return done;
  }

  /** Ends every hold (this replica stopped leading: its reservations are dropped anyway). */
  clear(): void {
    for (const key of [...this.#holds.keys()]) this.finish(key);
  }

  #nodeChanged(node: string): void {
    if (this.#reserving) return;
    const keys = this.#byNode.get(node);
    if (keys === undefined || keys.size === 0) return;
    for (const key of [...keys]) {
      const hold = this.#holds.get(key);
      if (hold === undefined) continue;
      for (const slot of hold.slots) {
        if (slot.assignment.node === node && slot.state === 'waiting') this.#tryReserve(hold.spec, slot);
      }
    }
  }

  #tryReserve(spec: HoldSpec, slot: HoldSlot): void {
    if (slot.state !== 'waiting') return;
    const held = this.#state.holding(slot.uid);
    // A single pod bound meanwhile holds its own commitment: nothing more to hold.
    if (held !== undefined && held.state === 'committed') return;
    this.#reserving = true;
    try {
      if (held !== undefined) this.#state.release(slot.uid);
      if (this.#state.reserve(slot.uid, slot.assignment, spec.expiresAt).ok) slot.state = 'reserved';
    } finally {
      this.#reserving = false;
    }
  }
}
