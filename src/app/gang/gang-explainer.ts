// Why a gang waits, told to people: the planner's explanation goes on the filter reasons and, as a
// Warning Event, on every known member — at most once per interval per gang unless the reason
// changes, since the scheduler retries each member on its own. Also remembers a recent failure so
// the members filtered right after it are not planned again for nothing.
import type { MemberRef } from '../../core/gang/gang-tracker.js';
import type { Clock, GangRef } from '../../core/types.js';
import type { EventRecorder } from '../ports.js';

export interface GangExplainerOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly backoffMs: number;
  readonly events?: EventRecorder;
}

interface Entry {
  firstSeen: number;
  lastTouch: number;
  failure?: { reason: string; at: number };
  told?: { reason: string; at: number };
}

/** Gangs untouched this long are forgotten (deleted workloads). */
const FORGET_AFTER_MS = 3_600_000;

export const GANG_UNSCHEDULABLE = 'GangUnschedulable';

export class GangExplainer {
  private readonly options: GangExplainerOptions;
  private readonly entries = new Map<string, Entry>();

  constructor(options: GangExplainerOptions) {
    this.options = options;
  }

  /** The reason of a failure recent enough to answer with instead of planning again. */
  recentFailure(key: string): string | undefined {
    const failure = this.entries.get(key)?.failure;
    if (failure === undefined) return undefined;
    return this.options.clock.now() - failure.at < this.options.backoffMs ? failure.reason : undefined;
  }

  failed(gang: GangRef, reason: string, members: readonly MemberRef[]): void {
    const now = this.options.clock.now();
    const entry = this.touch(gang.key, now);
    entry.failure = { reason, at: now };
    const told = entry.told;
    if (told !== undefined && told.reason === reason && now - told.at < this.options.intervalMs) return;
    entry.told = { reason, at: now };
    const seen = new Set<string>();
    for (const member of members) {
      if (seen.has(member.uid)) continue;
      seen.add(member.uid);
      this.options.events?.podEvent(member, 'Warning', GANG_UNSCHEDULABLE, reason);
    }
  }

  /** A plan exists (or was released): the next failure is news again. */
  planned(key: string): void {
    const entry = this.touch(key, this.options.clock.now());
    delete entry.failure;
    delete entry.told;
  }

  /** When the gang was first considered; `fallback` when it never failed before being planned. */
  firstSeen(key: string, fallback: number): number {
    return Math.min(this.entries.get(key)?.firstSeen ?? fallback, fallback);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  prune(): void {
    const now = this.options.clock.now();
    for (const [key, entry] of this.entries) {
      if (now - entry.lastTouch >= FORGET_AFTER_MS) this.entries.delete(key);
    }
  }

  private touch(key: string, now: number): Entry {
    let entry = this.entries.get(key);
    if (entry === undefined) this.entries.set(key, (entry = { firstSeen: now, lastTouch: now }));
    entry.lastTouch = now;
    return entry;
  }
}
