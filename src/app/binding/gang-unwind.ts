// Undoing a partly bound gang: when a member cannot be bound after the barrier opened, the members
// that are (or may be) bound are evicted, each with an Event saying why, so their controllers
// recreate them and the whole gang is placed again together. A half-bound gang never runs: its
// bound members would hold GPUs while the rest finds "room for 0" forever. Evictions are writes:
// each is fenced on the Lease, and retried for a while, since the gang is broken until they land.
import type { EventRecorder, LeaderFence, PodRef } from '../ports.js';
import type { PodEvictor } from '../preemption/ports.js';

export interface GangUnwindDeps {
  readonly evictor?: PodEvictor;
  readonly events?: EventRecorder;
  readonly fence?: LeaderFence;
  readonly sleep: (ms: number) => Promise<void>;
  /** Told of an eviction that did not land (after every attempt, or fenced). */
  readonly onGiveUp?: (pod: PodRef, reason: string) => void;
}

/** Pauses between eviction attempts: about a minute in all, longer than an API server blip. */
const EVICT_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

export const GANG_BIND_FAILED = 'GangBindFailed';

/** Evicts `members` (those bound or maybe bound) of a gang that could not be bound whole. */
export async function unwindGang(
  deps: GangUnwindDeps,
  members: readonly PodRef[],
  why: string,
): Promise<void> {
  await Promise.all(members.map((pod) => evictOne(deps, pod, why)));
}

async function evictOne(deps: GangUnwindDeps, pod: PodRef, why: string): Promise<void> {
  const message = `${why}; evicting ${pod.namespace}/${pod.name} so its controller recreates it and the gang is placed again as a whole`;
  deps.events?.podEvent(pod, 'Warning', GANG_BIND_FAILED, message);
  if (deps.evictor === undefined) {
    deps.onGiveUp?.(pod, 'no evictor configured');
    return;
  }
  let last = '';
  for (let attempt = 0; attempt <= EVICT_DELAYS_MS.length; attempt++) {
    if (deps.fence?.holdsLeaseWithMargin() === false) {
      deps.onGiveUp?.(pod, 'the leader Lease is no longer held; the next leader completes the gang');
      return;
    }
    try {
      await deps.evictor.evict(pod, message);
      return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    const delay = EVICT_DELAYS_MS[attempt];
    if (delay !== undefined) await deps.sleep(delay);
  }
  deps.onGiveUp?.(pod, last);
}
