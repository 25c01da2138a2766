// What the scheduling use cases return, independent of the extender wire format.
import type { PodShape } from '../core/kube-shapes.js';

/** Outcome of filtering one pod over candidate nodes. */
export interface FilterOutcome {
  /** Nodes where the pod fits, in input order. */
  readonly feasible: string[];
  /** node → reason; preemption may help on these nodes. */
  readonly failed: Record<string, string>;
  /** node → reason; preemption cannot help (no GPUs, wrong model, outside the gang's domain). */
  readonly unresolvable: Record<string, string>;
  /** Set when the pod cannot be evaluated at all (e.g. not leader, not synced). */
  readonly error?: string;
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

/** The verbs kube-scheduler calls, as use cases. */
export interface SchedulingVerbs {
  filter(pod: PodShape, nodeNames: readonly string[]): FilterOutcome;
  prioritize(pod: PodShape, nodeNames: readonly string[]): HostScore[];
  /** Resolves to '' on success or a non-empty error message; never rejects. */
  bind(request: BindRequest): Promise<string>;
}
