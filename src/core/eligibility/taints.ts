// Taints and tolerations as kube-scheduler's TaintToleration Filter reads them (k8s.io/api
// Toleration.ToleratesTaint): a pod may land on a node only if it tolerates every NoSchedule and
// NoExecute taint there; PreferNoSchedule is a scoring hint, not a filter.
import type { NodeShape, PodShape, TaintShape, TolerationShape } from '../kube-shapes.js';

export const TaintEffect = {
  noSchedule: 'NoSchedule',
  preferNoSchedule: 'PreferNoSchedule',
  noExecute: 'NoExecute',
} as const;

/** Taints the node lifecycle controller and `kubectl cordon` put on nodes. */
export const NodeTaintKey = {
  unschedulable: 'node.kubernetes.io/unschedulable',
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
} as const;

/**
 * Upstream Toleration.ToleratesTaint: an empty effect matches every effect, an empty key every key;
 * operator Exists ignores the value, Equal (the default) compares it; any other operator tolerates nothing.
 */
export function toleratesTaint(toleration: TolerationShape, taint: TaintShape): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(
  tolerations: readonly TolerationShape[] | undefined,
  taint: TaintShape,
): boolean {
  return (tolerations ?? []).some((toleration) => toleratesTaint(toleration, taint));
}

/** Whether a taint with this effect keeps pods off the node at scheduling time. */
export function blocksScheduling(effect: string): boolean {
  return effect === TaintEffect.noSchedule || effect === TaintEffect.noExecute;
}

/** The node's first NoSchedule/NoExecute taint the pod does not tolerate, if any. */
export function firstUntoleratedTaint(pod: PodShape, node: NodeShape): TaintShape | undefined {
  const tolerations = pod.spec?.tolerations;
  return (node.spec?.taints ?? []).find(
    (taint) => blocksScheduling(taint.effect) && !tolerationsTolerateTaint(tolerations, taint),
  );
}

/** kube-scheduler's wording for the taint in its "untolerated taint" reason: "{key: value}". */
export function describeTaint(taint: TaintShape): string {
  return `{${taint.key}: ${taint.value ?? ''}}`;
}
