// Ports the preemption use cases need. src/kube implements them (informer cache, pod deletion);
// tests use in-memory fakes. Contract file: keep every obligation written.
import type { PodShape } from '../../core/kube-shapes.js';
import type { DisruptionBudget } from '../../core/preemption/disruption-budgets.js';
import type { PodRef } from '../ports.js';

/** Pods bound to one node, from the informer cache. */
export interface NodePods {
  /** Every pod with spec.nodeName === node that has not finished (Succeeded/Failed). */
  podsOn(node: string): readonly PodShape[];
}

/** Deletes one pod incarnation (UID precondition), saying why; a pod already gone is not an error. */
export interface PodEvictor {
  evict(pod: PodRef, message: string): Promise<void>;
}

/** PodDisruptionBudgets with their current status, read when a preemption is decided. */
export interface DisruptionBudgetSource {
  budgets(): Promise<readonly DisruptionBudget[]>;
}

/**
 * - 'evicted': the Eviction API accepted it (the pod is terminating, its grace period applies);
 * - 'gone': the pod no longer exists (or exists under another UID): nothing to do;
 * - 'refused': a PodDisruptionBudget forbids it now (429): the pod keeps running.
 */
export type EvictionResult = 'evicted' | 'gone' | 'refused';

/**
 * Evicts one pod incarnation through the Eviction API (policy/v1, so PodDisruptionBudgets apply) and
 * marks it with the DisruptionTarget condition saying why. Other failures are thrown.
 */
export interface PreemptionEvictor {
  evict(pod: PodRef, reason: string, message: string): Promise<EvictionResult>;
}

/**
 * Writes status.nominatedNodeName, telling kube-scheduler where the pod is expected to go (it counts
 * a nominated pod's requests on that node for pods of no higher priority). A pod gone or bound is
 * not an error.
 */
export interface PodNominator {
  nominate(pod: PodRef, node: string): Promise<void>;
  /** Removes the nomination (a hold that ended without the pod bound must not keep room reserved). */
  clear(pod: PodRef): Promise<void>;
}
