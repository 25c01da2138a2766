// Lease-based leader election with client-go semantics: a candidate takes the lease only after it
// has seen the same holder/renewTime unchanged for a full lease duration on its OWN clock (so clock
// skew between replicas cannot cause two leaders), writes with resourceVersion preconditions, and a
// leader that cannot renew within the renew deadline steps down. Only the leader serves, and every
// write is fenced (holdsLeaseWithMargin): the renewal is dated from the start of the round that made
// it, and a write must start a margin before the renew deadline, so it lands while no other replica
// can have taken the Lease (they wait a full lease duration after seeing our last renewal).
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { LeaderFence, LeaderStatus } from '../app/ports.js';
import type { Clock } from '../core/types.js';
import { describeError, withTimeout } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';
import {
  LeaseConflictError,
  type LeaseRecord,
  type LeaseSpecRecord,
  type LeaseStore,
} from './lease-store.js';

export interface LeaderElectionOptions {
  readonly store: LeaseStore;
  /** Unique per replica (pod name plus a random suffix). */
  readonly identity: string;
  readonly clock: Clock;
  readonly logger: KubeLogger;
  /** How long a lease stays valid without renewal. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** A leader that has not renewed for this long steps down. Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** Pause between attempts. Default 2 s. */
  readonly retryPeriodMs?: number;
  /**
   * Writes stop this long before the renew deadline (time for a write to land). Default 2 s, or half
   * the gap between renew deadline and retry period when that is shorter.
   */
  readonly fenceMarginMs?: number;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  /** Waits between rounds; tests inject one driven by a fake clock. Rejects or returns on abort. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Random in [0, 1) for retry jitter of candidates. */
  readonly random?: () => number;
}

const JITTER_FACTOR = 0.2;

export class LeaderElector implements LeaderStatus, LeaderFence {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>> &
    Pick<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'>;
  #leading = false;
  #lastRenewMs = Number.NEGATIVE_INFINITY;
  /** The record last read and the local time it was first seen in this form. */
  #observed: { record: LeaseRecord; atMs: number } | undefined;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      sleep: abortableSleep,
      random: Math.random,
      ...options,
      fenceMarginMs: options.fenceMarginMs ?? defaultFenceMargin(options),
    };
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs, fenceMarginMs } = this.#o;
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
      throw new Error(
        `leader election needs leaseDuration > renewDeadline > retryPeriod > 0, got ${leaseDurationMs}/${renewDeadlineMs}/${retryPeriodMs} ms`,
      );
    }
    if (!(fenceMarginMs >= 0 && fenceMarginMs < renewDeadlineMs - retryPeriodMs)) {
      throw new Error(
        `leader election needs 0 <= fenceMargin < renewDeadline - retryPeriod, got ${fenceMarginMs} ms`,
      );
    }
  }

  /** True while this replica holds a lease it renewed within the renew deadline. */
  isLeader(): boolean {
    return this.#leading && this.#o.clock.now() - this.#lastRenewMs < this.#o.renewDeadlineMs;
  }

  /**
   * True while this replica leads and its last renewal is recent enough that a write started now
   * lands before any other replica could take the Lease: renew deadline minus the fence margin.
   */
  holdsLeaseWithMargin(): boolean {
    const { clock, renewDeadlineMs, fenceMarginMs } = this.#o;
    return this.#leading && clock.now() - this.#lastRenewMs < renewDeadlineMs - fenceMarginMs;
  }

  /** Starts competing in the background; returns at once. */
  start(): void {
    if (this.#loop !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#loop = this.#run(abort.signal);
  }

  /** Stops competing and, when leading, releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
    this.#abort = undefined;
    if (this.#leading || this.#observed?.record.holderIdentity === this.#o.identity) await this.#release();
    this.#stepDown('stopped');
  }

  /** One election round: acquire or renew, then step down if the renew deadline has passed. */
  async round(): Promise<void> {
    // Others date our renewal from when they see it, which is after we sent it: dating it from the
    // start of the round keeps this replica's own idea of its Lease on the safe side.
    const startedAt = this.#o.clock.now();
    let ok = false;
    try {
      ok = await withTimeout(this.#tryAcquireOrRenew(), this.#o.renewDeadlineMs, 'lease round');
    } catch (err) {
      this.#o.logger.warn({ err: describeError(err) }, 'lease acquire/renew failed');
    }
    const now = this.#o.clock.now();
    if (ok) {
      this.#lastRenewMs = startedAt;
      if (!this.#leading) {
        this.#leading = true;
        this.#o.logger.info({ identity: this.#o.identity }, 'became leader');
        this.#o.onStartedLeading?.();
      }
      return;
    }
    const holder = this.#observed?.record.holderIdentity;
    if (this.#leading && holder !== undefined && holder !== '' && holder !== this.#o.identity) {
      this.#stepDown(`lease taken by ${holder}`);
    } else if (this.#leading && now - this.#lastRenewMs >= this.#o.renewDeadlineMs) {
      this.#stepDown('renew deadline passed');
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.round();
      const jitter = this.#leading ? 0 : this.#o.retryPeriodMs * JITTER_FACTOR * this.#o.random();
      try {
        await this.#o.sleep(this.#o.retryPeriodMs + jitter, signal);
      } catch {
        return;
      }
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { store, identity, clock } = this.#o;
    const now = clock.now();
    const current = await store.get();
    if (current === undefined) {
      return this.#write(() => store.create(this.#spec(undefined, now)), now);
    }
    this.#observe(current, now);
    const observedAt = this.#observed?.atMs ?? now;
    const heldByOther = current.holderIdentity !== '' && current.holderIdentity !== identity;
    if (heldByOther && observedAt + current.leaseDurationSeconds * 1000 > now) return false;
    return this.#write(() => store.update(this.#spec(current, now), current.resourceVersion), now);
  }

  async #write(op: () => Promise<LeaseRecord>, now: number): Promise<boolean> {
    try {
      this.#observed = { record: await op(), atMs: now };
      return true;
    } catch (err) {
      if (err instanceof LeaseConflictError) return false;
      throw err;
    }
  }

  #observe(record: LeaseRecord, now: number): void {
    const seen = this.#observed?.record;
    const same =
      seen !== undefined &&
      seen.holderIdentity === record.holderIdentity &&
      seen.renewTimeMs === record.renewTimeMs &&
      seen.resourceVersion === record.resourceVersion;
    if (!same) this.#observed = { record, atMs: now };
  }

  #spec(current: LeaseRecord | undefined, now: number): LeaseSpecRecord {
    const mine = current?.holderIdentity === this.#o.identity;
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTimeMs: mine ? (current?.acquireTimeMs ?? now) : now,
      renewTimeMs: now,
      leaseTransitions:
        current === undefined ? 0 : mine ? current.leaseTransitions : current.leaseTransitions + 1,
    };
  }

  async #release(): Promise<void> {
    const { store, identity, clock, logger } = this.#o;
    try {
      const current = await withTimeout(store.get(), this.#o.renewDeadlineMs, 'lease read');
      if (current?.holderIdentity !== identity) return;
      const now = clock.now();
      const released: LeaseSpecRecord = {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTimeMs: now,
        renewTimeMs: now,
        leaseTransitions: current.leaseTransitions,
      };
      await withTimeout(
        store.update(released, current.resourceVersion),
        this.#o.renewDeadlineMs,
        'lease release',
      );
      logger.info({ identity }, 'released leadership');
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'could not release the lease; it expires on its own');
    }
  }

  #stepDown(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.logger.warn({ identity: this.#o.identity, why }, 'stopped leading');
    this.#o.onStoppedLeading?.();
  }
}

function defaultFenceMargin(o: LeaderElectionOptions): number {
  const gap = (o.renewDeadlineMs ?? 10_000) - (o.retryPeriodMs ?? 2_000);
  return Math.max(0, Math.min(2_000, Math.floor(gap / 2)));
}

async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  await sleepFor(ms, undefined, { signal });
}
