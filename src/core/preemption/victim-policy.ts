// Who may preempt and who may be preempted by Phalanx itself, from the pod objects alone. Kueue
// decides admission and reclaim for the workloads it manages, so its pods are neither preemptors nor
// victims here (it would otherwise evict what Kueue admitted, or preempt twice); pods another
// scheduler placed are its business unless the operator says otherwise.
import type { PodShape } from '../kube-shapes.js';

/** Markers Kueue leaves on the pods it manages: queue and podset labels, the managed label, its gate. */
const KUEUE_LABELS = ['kueue.x-k8s.io/queue-name', 'kueue.x-k8s.io/podset'] as const;
const KUEUE_MANAGED_LABEL = 'kueue.x-k8s.io/managed';
const KUEUE_ADMISSION_GATE = 'kueue.x-k8s.io/admission';
const KUEUE_WORKLOAD_ANNOTATION = 'kueue.x-k8s.io/workload';

export function kueueManaged(pod: PodShape): boolean {
  const labels = pod.metadata?.labels ?? {};
  if (KUEUE_LABELS.some((key) => (labels[key] ?? '') !== '')) return true;
  if (labels[KUEUE_MANAGED_LABEL] === 'true') return true;
  if (pod.metadata?.annotations?.[KUEUE_WORKLOAD_ANNOTATION] !== undefined) return true;
  return (pod.spec?.schedulingGates ?? []).some((g) => g.name === KUEUE_ADMISSION_GATE);
}

export interface VictimPolicy {
  /** The scheduler name Phalanx's pods carry. */
  readonly schedulerName: string;
  /** Pods of other schedulers may be victims too. */
  readonly allowOtherSchedulers: boolean;
}

/** Why this pod may never be evicted by Phalanx's own preemption, or undefined. */
export function victimProtection(pod: PodShape, policy: VictimPolicy): string | undefined {
  if (kueueManaged(pod)) return 'managed by Kueue';
  const scheduler = pod.spec?.schedulerName ?? 'default-scheduler';
  if (!policy.allowOtherSchedulers && scheduler !== policy.schedulerName)
    return `placed by another scheduler (${scheduler})`;
  return undefined;
}

/** spec.preemptionPolicy (PreemptLowerPriority when unset); read structurally. */
function preemptionPolicyOf(pod: PodShape): string | undefined {
  return (pod.spec as { readonly preemptionPolicy?: string } | undefined)?.preemptionPolicy;
}

/** Why this pending pod may not preempt, or undefined. */
export function preemptorRefusal(pod: PodShape): string | undefined {
  if (preemptionPolicyOf(pod) === 'Never') return 'its preemptionPolicy is Never';
  if (kueueManaged(pod)) return 'Kueue manages its admission and preemption';
  return undefined;
}

/** metadata.creationTimestamp in ms, or undefined when absent or unreadable. */
export function createdAtMs(pod: PodShape): number | undefined {
  const raw = pod.metadata?.creationTimestamp;
  if (raw === undefined) return undefined;
  const ms = raw instanceof Date ? raw.getTime() : Date.parse(raw);
  return Number.isFinite(ms) ? ms : undefined;
}
