// The safety net behind the bind barrier's unwind: a gang found with some members bound and the
// others all created but pending for longer than a grace is unwound (its bound members evicted, see
// gang-unwind.ts). The barrier cannot do it when the process that opened it died or lost the Lease
// mid-way, or its evictions never landed; meanwhile capacity freed elsewhere may be gone, and the
// pending members would find "room for 0" forever while the bound ones hold their GPUs.
// Gangs still missing members are left alone (a LeaderWorkerSet leader bound ahead waits for its
// workers to be created), and so are gangs the coordinator is planning or binding right now.
import type { PodShape } from '../../core/kube-shapes.js';
import { Req } from '../../core/names.js';
import { parsePodDemand } from '../../core/pod-demand.js';
import type { Clock } from '../../core/types.js';
import type { GangMemberIndex, PodRef } from '../ports.js';
import { unwindGang, type GangUnwindDeps } from './gang-unwind.js';

export interface HalfBoundGangsDeps {
  readonly members: GangMemberIndex;
  readonly clock: Clock;
  readonly levels: readonly string[];
  readonly unwind: GangUnwindDeps;
  /** Keys of the gangs that have a plan now (GangCoordinator.plans). */
  readonly planned: () => ReadonlySet<string>;
  /** How long a gang may stay half-bound; default 2 minutes (scheduler retries and a re-plan fit well inside). */
  readonly graceMs?: number;
}

interface Suspect {
  readonly size: number;
  /** When the gang was first seen half-bound with every member created. */
  since: number | undefined;
}

export class HalfBoundGangs {
  private readonly deps: HalfBoundGangsDeps;
  private readonly graceMs: number;
  /** Gangs with a bound member, as seen from pod events; kept until none is bound. */
  private readonly suspects = new Map<string, Suspect>();

  constructor(deps: HalfBoundGangsDeps) {
    this.deps = deps;
    this.graceMs = deps.graceMs ?? 120_000;
  }

  /** Every pod event: a bound gang member makes its gang one to watch. */
  podChanged(pod: PodShape): void {
    if (pod.spec?.nodeName === undefined || pod.spec.nodeName === '') return;
    const annotations = pod.metadata?.annotations ?? {};
    if (annotations[Req.podGroup] === undefined) return;
    let gang;
    try {
      gang = parsePodDemand(pod, { levels: this.deps.levels }).gang;
    } catch {
      return;
    }
    if (gang !== undefined && !this.suspects.has(gang.key)) {
      this.suspects.set(gang.key, { size: gang.size, since: undefined });
    }
  }

  /** Unwinds gangs half-bound past the grace. Call it periodically (housekeeping). */
  sweep(): void {
    const now = this.deps.clock.now();
    const planned = this.deps.planned();
    for (const [key, suspect] of this.suspects) {
      const members = this.deps.members.members(key).filter((p) => !finished(p));
      const bound = members.filter((p) => p.spec?.nodeName !== undefined && p.spec.nodeName !== '');
      if (bound.length === 0) {
        this.suspects.delete(key);
        continue;
      }
      // A whole gang stays watched: a member lost later (its node gone, the pod deleted) leaves it
      // half-bound with no further event from the members still bound.
      if (bound.length >= suspect.size || members.length < suspect.size || planned.has(key)) {
        suspect.since = undefined;
        continue;
      }
      suspect.since ??= now;
      if (now - suspect.since < this.graceMs) continue;
      this.suspects.delete(key);
      const why = `gang ${key}: only ${bound.length} of ${suspect.size} members bound for ${Math.round(
        (now - suspect.since) / 1000,
      )}s and the rest cannot join them`;
      void unwindGang(this.deps.unwind, bound.map(refOf), why);
    }
  }
}

function finished(pod: PodShape): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp !== undefined;
}

function refOf(pod: PodShape): PodRef {
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
  };
}
