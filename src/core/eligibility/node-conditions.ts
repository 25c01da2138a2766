// Cordoned and not-Ready nodes. kube-scheduler's NodeUnschedulable plugin rejects a cordoned node unless
// the pod tolerates node.kubernetes.io/unschedulable:NoSchedule. Readiness reaches the scheduler as the
// taints the node lifecycle controller adds (not-ready when Ready is False, unreachable when it is
// Unknown); Phalanx reads the condition itself so it does not wait for the controller to taint the node.
import type { NodeShape, PodShape } from '../kube-shapes.js';
import { NodeTaintKey, TaintEffect, tolerationsTolerateTaint } from './taints.js';

/** True when the node is cordoned and the pod does not tolerate that. */
export function cordonedForPod(pod: PodShape, node: NodeShape): boolean {
  if (node.spec?.unschedulable !== true) return false;
  const taint = { key: NodeTaintKey.unschedulable, effect: TaintEffect.noSchedule };
  return !tolerationsTolerateTaint(pod.spec?.tolerations, taint);
}

/**
 * The taint key the node lifecycle controller would add for the node's Ready condition: not-ready
 * when it is "False", unreachable when it is anything else but "True"; undefined when the node is
 * Ready or reports no Ready condition at all (nothing is known against it).
 */
export function readinessTaintKey(node: NodeShape): string | undefined {
  const ready = (node.status?.conditions ?? []).find((condition) => condition.type === 'Ready');
  if (ready === undefined || ready.status === 'True') return undefined;
  return ready.status === 'False' ? NodeTaintKey.notReady : NodeTaintKey.unreachable;
}

/** True when the node is not Ready and the pod does not tolerate the matching NoSchedule taint. */
export function notReadyForPod(pod: PodShape, node: NodeShape): boolean {
  const key = readinessTaintKey(node);
  if (key === undefined) return false;
  return !tolerationsTolerateTaint(pod.spec?.tolerations, { key, effect: TaintEffect.noSchedule });
}
