// The preempt verb's choices, remembered per preemptor until Phalanx has seen those victims go.
// kube-scheduler and Phalanx each watch the API. The scheduler can see the victims it evicted gone,
// retry the preemptor and ask filter before Phalanx's informer has released them from the ledger
// (1.33's asynchronous preemption retries at once). Phalanx would then reject the very node freed for
// the pod, and the scheduler, finding no terminating pod left on its nominated node, would preempt
// again: other pods, on other nodes, all innocent. So when the scheduler offers such a node, filter
// waits a bounded moment for the release (once per choice), then answers with an error while the
// victims still hold GPUs there: the scheduler retries after its backoff and runs no preemption.
// preempt declines to choose again while the first choice is still leaving.
import type { PodShape } from '../../core/kube-shapes.js';
import type { GpuLedger } from '../../core/ledger/gpu-ledger.js';
import type { Clock } from '../../core/types.js';
import { preemptedByScheduler } from './preempt-gangs.js';
import { ReleaseWaiters } from './release-waiters.js';

/** Preemptors remembered at most: far more than ever preempt at once; the oldest go first. */
const MAX_PREEMPTORS = 10_000;

export interface LeavingVictimsDeps {
  readonly ledger: Pick<GpuLedger, 'holding' | 'onNodeChange'>;
  readonly clock: Clock;
  /** The informer's copy of a pod, to see the scheduler's marks on a victim. */
  readonly podByUid: (uid: string) => PodShape | undefined;
  /** How long a choice is remembered (victims' grace periods included). */
  readonly keepMs: number;
  readonly waitMs?: number;
}

interface Choice {
  readonly at: number;
  /** node → the victims chosen there (the scheduler evicts those of the one node it picks). */
  readonly nodes: ReadonlyMap<string, readonly string[]>;
}

export class LeavingVictims {
  readonly #deps: LeavingVictimsDeps;
  /** Preemptor UID → its latest choice; insertion order is age order. */
  readonly #choices = new Map<string, Choice>();
  readonly #waiters: ReleaseWaiters;

  constructor(deps: LeavingVictimsDeps) {
    this.#deps = deps;
    this.#waiters = new ReleaseWaiters(deps.ledger, deps.waitMs);
  }

  /** The preempt verb answered `preemptorUid` with these victims per node. */
  chosen(preemptorUid: string, victims: Readonly<Record<string, readonly string[]>>): void {
    this.#choices.delete(preemptorUid);
    this.#forgetExpired();
    const nodes = new Map(Object.entries(victims).filter(([, uids]) => uids.length > 0));
    if (preemptorUid === '' || nodes.size === 0) return;
    this.#choices.set(preemptorUid, { at: this.#deps.clock.now(), nodes });
    if (this.#choices.size > MAX_PREEMPTORS) {
      const oldest = this.#choices.keys().next().value;
      if (oldest !== undefined) this.#choices.delete(oldest);
    }
  }

  /**
   * When kube-scheduler offers a node where victims chosen for the pod still hold GPUs in Phalanx's
   * view (it has seen them go, Phalanx not yet): resolves to undefined once they left, or to why not
   * after the bounded wait (at once when this choice was waited for already). Undefined when no
   * offered node is such a node.
   */
  released(pod: PodShape, offered: readonly string[]): Promise<string | undefined> | undefined {
    const choice = this.#pending(pod);
    if (choice === undefined) return undefined;
    const nodes = new Set(offered.filter((n) => choice.nodes.get(n)?.some((uid) => this.#holds(uid))));
    if (nodes.size === 0) return undefined;
    const reason = `victims preempted for this pod still hold GPUs on ${[...nodes].join(', ')} in Phalanx's view`;
    const free = () => [...nodes].some((n) => !choice.nodes.get(n)?.some((uid) => this.#holds(uid)));
    return this.#waiters.waitOnce(choice, nodes, free, reason);
  }

  /**
   * The node where the victims chosen for the pod are on their way out but still hold GPUs in
   * Phalanx's view: the scheduler nominated the pod there, or some of them are gone or marked (a
   * DisruptionTarget from the scheduler, a deletion under way). Undefined otherwise.
   */
  leavingOn(pod: PodShape): { readonly node: string; readonly holding: number } | undefined {
    const choice = this.#pending(pod);
    if (choice === undefined) return undefined;
    const nominated = pod.status?.nominatedNodeName;
    for (const [node, uids] of choice.nodes) {
      const holding = uids.filter((uid) => this.#holds(uid)).length;
      if (node === nominated || holding < uids.length || uids.some((uid) => this.#marked(uid)))
        return { node, holding };
    }
    return undefined;
  }

  /** The pod's choice while none of its nodes is free of its victims yet. */
  #pending(pod: PodShape): Choice | undefined {
    const uid = pod.metadata?.uid;
    const choice = uid === undefined ? undefined : this.#choices.get(uid);
    if (uid === undefined || choice === undefined) return undefined;
    if (choice.at + this.#deps.keepMs <= this.#deps.clock.now()) {
      this.#choices.delete(uid);
      return undefined;
    }
    for (const uids of choice.nodes.values()) if (!uids.some((v) => this.#holds(v))) return undefined;
    return choice;
  }

  #holds(uid: string): boolean {
    return this.#deps.ledger.holding(uid) !== undefined;
  }

  #marked(uid: string): boolean {
    const pod = this.#deps.podByUid(uid);
    return pod !== undefined && (pod.metadata?.deletionTimestamp != null || preemptedByScheduler(pod));
  }

  #forgetExpired(): void {
    const now = this.#deps.clock.now();
    for (const [uid, choice] of this.#choices) {
      if (choice.at + this.#deps.keepMs > now) break;
      this.#choices.delete(uid);
    }
  }
}
