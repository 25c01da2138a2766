// A gang is evicted whole. kube-scheduler's preemption deletes only the victims on the node it chose,
// and a preempt reply can name only pods bound to that node (protocol.md §2.9), so a gang member on
// another node would be left holding its GPUs for a gang that can no longer run. When a member
// carries the scheduler's preemption mark (condition DisruptionTarget, reason PreemptionByScheduler,
// written before it deletes a victim), Phalanx deletes the gang's other bound members itself. The
// mark, not Phalanx's own preempt answer, is the trigger: it survives a Phalanx restart and also
// covers preemptions Phalanx was not asked about (a CPU-only preemptor never reaches the extender).
import type { PodShape } from '../../core/kube-shapes.js';
import type { EventRecorder, GangMemberIndex, PodRef } from '../ports.js';
import type { PodEvictor } from './ports.js';
import { gangKeyOf, isFinished } from './victim-candidates.js';

export interface GangPreemptionDeps {
  readonly members: GangMemberIndex;
  readonly evictor: PodEvictor;
  /** Only the serving leader evicts (not synced or a follower → nothing happens). */
  readonly active: () => boolean;
  readonly events?: EventRecorder;
  /** Called with the number of gang-mates deleted after one member was preempted. */
  readonly onEvicted?: (count: number) => void;
  readonly onError?: (pod: PodRef, err: unknown) => void;
}

export const DISRUPTION_TARGET = 'DisruptionTarget';
export const PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';
export const GANG_PREEMPTED = 'GangPreempted';

/** UIDs remembered as already evicted (a pod's update events repeat until it is gone). */
const REMEMBERED = 4096;

interface Condition {
  readonly type?: string;
  readonly status?: string;
  readonly reason?: string;
}

/** The status conditions of a pod (PodShape leaves them out; informer objects carry them). */
function conditionsOf(pod: PodShape): readonly Condition[] {
  const status = pod.status as { conditions?: readonly Condition[] } | undefined;
  return status?.conditions ?? [];
}

/** True when kube-scheduler marked the pod as a preemption victim. */
export function preemptedByScheduler(pod: PodShape): boolean {
  return conditionsOf(pod).some(
    (c) => c.type === DISRUPTION_TARGET && c.status === 'True' && c.reason === PREEMPTION_BY_SCHEDULER,
  );
}

function refOf(pod: PodShape): PodRef | undefined {
  const { namespace, name, uid } = pod.metadata ?? {};
  return name === undefined || uid === undefined
    ? undefined
    : { namespace: namespace ?? 'default', name, uid };
}

export class GangPreemption {
  readonly #deps: GangPreemptionDeps;
  readonly #evicted = new Set<string>();

  constructor(deps: GangPreemptionDeps) {
    this.#deps = deps;
  }

  /** Feed every pod update and deletion; returns the gang-mates it started deleting. */
  podChanged(pod: PodShape): PodRef[] {
    if (!preemptedByScheduler(pod)) return [];
    const key = gangKeyOf(pod);
    const self = refOf(pod);
    if (key === undefined || self === undefined || !this.#deps.active()) return [];
    const mates = this.#deps.members
      .members(key)
      .filter(
        (m) =>
          m.metadata?.uid !== self.uid &&
          (m.spec?.nodeName ?? '') !== '' &&
          m.metadata?.deletionTimestamp === undefined &&
          !isFinished(m) &&
          !preemptedByScheduler(m),
      )
      .flatMap((m) => {
        const ref = refOf(m);
        return ref === undefined || this.#evicted.has(ref.uid) ? [] : [ref];
      });
    if (mates.length === 0) return [];
    const message = `gang ${key} is evicted whole: member ${self.name} was preempted by the scheduler`;
    for (const mate of mates) {
      this.#remember(mate.uid);
      this.#deps.events?.podEvent(mate, 'Warning', GANG_PREEMPTED, message);
      this.#deps.evictor.evict(mate, message).catch((err: unknown) => {
        this.#evicted.delete(mate.uid);
        this.#deps.onError?.(mate, err);
      });
    }
    this.#deps.onEvicted?.(mates.length);
    return mates;
  }

  #remember(uid: string): void {
    if (this.#evicted.size >= REMEMBERED) {
      const oldest = this.#evicted.values().next().value;
      if (oldest !== undefined) this.#evicted.delete(oldest);
    }
    this.#evicted.add(uid);
  }
}
