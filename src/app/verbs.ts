// What the scheduling use cases return, independent of the extender wire format.
import type { PodShape } from '../core/kube-shapes.js';

/** Outcome of filtering one pod over candidate nodes. */
export interface FilterOutcome {
  /** Nodes where the pod fits, in input order. */
  readonly feasible: readonly string[];
  /** node → reason; preemption may help on these nodes. */
  readonly failed: Record<string, string>;
  /** node → reason; preemption cannot help (no GPUs, wrong model, outside the gang's domain). */
  readonly unresolvable: Record<string, string>;
  /** Set when the pod cannot be evaluated at all (e.g. not leader, not synced). */
  readonly error?: string;
  /**
   * Rejected nodes per low-cardinality cause, for metrics. Present when the per-node maps were left
   * empty because some node is feasible: kube-scheduler reads FailedNodes and
   * FailedAndUnresolvableNodes only when no node is (schedule_one.go), so they are not built then.
   */
  readonly rejected?: ReadonlyMap<string, number>;
}

export interface HostScore {
  readonly host: string;
  /** 0..10 */
  readonly score: number;
}

export interface BindRequest {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
}

/** Preempt request: candidate node → UIDs of the victims kube-scheduler's dry run chose there. */
export type PreemptCandidates = Readonly<Record<string, readonly string[]>>;

/** A gang member on another node that must go with a node's victims (the scheduler evicts only those). */
export interface RemoteVictim {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
}

/** Outcome of the preempt verb. */
export interface PreemptOutcome {
  /** node → victim UIDs on that node (each list non-empty): the reply. Nodes left out are dropped. */
  readonly victims: Readonly<Record<string, readonly string[]>>;
  /** node → gang members elsewhere that go with that node's victims, should the scheduler pick it. */
  readonly remote: Readonly<Record<string, readonly RemoteVictim[]>>;
  /** node → why preemption there cannot help the pod (or is not needed). */
  readonly dropped: Readonly<Record<string, string>>;
  /** Set when the pod cannot be evaluated at all (not leader, not synced). */
  readonly error?: string;
}

/** The verbs kube-scheduler calls, as use cases. */
export interface SchedulingVerbs {
  filter(pod: PodShape, nodeNames: readonly string[]): FilterOutcome;
  prioritize(pod: PodShape, nodeNames: readonly string[]): HostScore[];
  /**
   * prioritize's answer over `nodeNames` computed before kube-scheduler asks for it, where that
   * answer is kept for the request to find (the extender calls it right after a filter reply, with
   * the nodes it named). Undefined: nothing worth computing ahead for this pod.
   */
  prioritizeAhead?(pod: PodShape, nodeNames: readonly string[]): readonly HostScore[] | undefined;
  /** Resolves to '' on success or a non-empty error message; never rejects. */
  bind(request: BindRequest): Promise<string>;
  /**
   * When kube-scheduler offers nodes where victims preempted for this pod still hold GPUs in
   * Phalanx's view (the scheduler saw them go first): resolves to undefined once they left, or to why
   * not after a bounded wait; undefined when there is nothing to wait for. The extender calls it when
   * filter found no node, then filters again, answering with that reason as an error if still no
   * node fits: the scheduler retries after its backoff and preempts nothing meanwhile
   * (app/preemption/leaving-victims.ts, preemption-holds.ts).
   */
  awaitOwnVictims?(pod: PodShape, nodeNames: readonly string[]): Promise<string | undefined> | undefined;
  /** GPU-aware victims for the scheduler's preemption candidates (see preempt-service.ts). */
  preempt?(pod: PodShape, candidates: PreemptCandidates): PreemptOutcome;
}
