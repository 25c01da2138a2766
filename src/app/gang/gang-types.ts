// The gang coordinator's contract with single-pod scheduling, its dependencies and the observer it
// reports outcomes to.
import type { ClusterState } from '../../core/cluster-state.js';
import type { PlacementPolicy } from '../../core/policies/policy.js';
import type { NodeLookup } from '../../core/gang/member-fit.js';
import type { PodShape } from '../../core/kube-shapes.js';
import type { Clock, GangCommit, PodDemand } from '../../core/types.js';
import type { BindingWriter } from '../binding/binding-writer.js';
import type { EventRecorder, GangMemberIndex, LeaderFence, PodReader, PodRef } from '../ports.js';
import type { PodEvictor } from '../preemption/ports.js';
import type { BindRequest, FilterOutcome } from '../verbs.js';

/** What SchedulingService hands gang members to (GangCoordinator implements it). */
export interface GangVerbs {
  filter(pod: PodShape, demand: PodDemand, nodeNames: readonly string[]): FilterOutcome;
  bind(request: BindRequest, pod: PodShape, demand: PodDemand): Promise<string>;
}

/**
 * `bind-failed`: a member could not be bound after the barrier opened; the gang was unwound.
 * `leadership-lost`: this replica stopped leading and let go of its plans.
 */
export type ReleaseCause =
  | 'expired'
  | 'barrier-timeout'
  | 'member-deleted'
  | 'capacity-lost'
  | 'not-offered'
  | 'member-mismatch'
  | 'bind-failed'
  | 'leadership-lost';

/** Where gang outcomes are counted (metrics/gang-metrics.ts implements it). */
export interface GangObserver {
  planMade(level: string): void;
  planFailed(): void;
  planReleased(cause: ReleaseCause): void;
  /** `commitSeconds`: barrier opened → every member's Binding written (absent for leader-first). */
  gangBound(level: string, waitSeconds: number, commitSeconds?: number): void;
}

export interface GangCoordinatorDeps {
  readonly state: ClusterState;
  readonly members: GangMemberIndex;
  readonly pods: PodReader;
  readonly clock: Clock;
  readonly levels: readonly string[];
  readonly policyFor: (demand: PodDemand) => PlacementPolicy;
  /**
   * Node objects and what is bound on them: with it, members are planned only where their own node
   * rules allow (selectors, taints, host resources…); without it, anywhere with GPUs.
   */
  readonly nodes?: NodeLookup;
  /** Writes each member's Binding, then commits or releases its slot. */
  readonly binding: BindingWriter;
  readonly reservationTtlMs: number;
  readonly bindBarrierMs: number;
  /**
   * `barrier` (default): members bind together once all reached bind. `eager`: each member binds as
   * soon as it reaches bind, its peers' slots reserved next to it (as a leader-first leader's are).
   * A member's phalanx.dev/gang-commit annotation wins.
   */
  readonly commit?: GangCommit;
  /** The scheduler's extender httpTimeout: failed binds are retried only while it waits. Default 30 s. */
  readonly bindTimeoutMs?: number;
  /** Evicts the bound members of a gang that could not be bound whole; without it they stay. */
  readonly evictor?: PodEvictor;
  /** Checked before every eviction (BindingWriter checks it before every Binding). */
  readonly fence?: LeaderFence;
  /** Pauses between retries; tests may inject one. Default: a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of a gang member that stays bound because its eviction did not land. */
  readonly onUnwindGiveUp?: (pod: PodRef, reason: string) => void;
  /** How long a leader-first gang keeps its workers' slots; default 10 minutes. */
  readonly anchoredHoldMs?: number;
  readonly events?: EventRecorder;
  readonly observer?: GangObserver;
  /** Minimum spacing of the same explanation on a gang's members; default 30 s. */
  readonly explainIntervalMs?: number;
  /** A gang that could not be placed is not planned again sooner than this; default 1 s. */
  readonly replanBackoffMs?: number;
  /** Told when a gang fits in no domain (app/preemption/preemption-controller.ts may preempt for it). */
  readonly noRoom?: (pod: PodShape, demand: PodDemand) => void;
  /**
   * Capacity a preemption holds for a gang: lent to the gang's planner while it plans; the returned
   * function holds it again when the plan failed.
   */
  readonly held?: {
    lend(gangKey: string): (() => void) | undefined;
    /** Held slots whose victims are not gone yet; undefined without a hold. */
    awaitingVictims(gangKey: string): number | undefined;
  };
}
