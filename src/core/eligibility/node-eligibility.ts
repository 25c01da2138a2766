// May this pod run on this node? kube-scheduler's node-level Filter rules, checked in the order of its
// default plugins (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit), so
// the first broken rule is the one kube-scheduler would report. Readiness is checked with the taints,
// since upstream it reaches the scheduler as a taint.
import type { NodeShape, PodShape } from '../kube-shapes.js';
import { cordonedForPod, notReadyForPod } from './node-conditions.js';
import { matchesNodeSelector, matchesRequiredNodeAffinity } from './node-selection.js';
import { describeTaint, firstUntoleratedTaint } from './taints.js';
import { firstHostPortConflict, podHostPorts, type HostPort } from './host-ports.js';
import {
  insufficientResources,
  nodeAllocatable,
  podRequests,
  podSlotsLeft,
  type ResourceAmounts,
} from './resources.js';

export type EligibilityRule =
  | 'unschedulable'
  | 'not-ready'
  | 'taint'
  | 'node-selector'
  | 'node-affinity'
  | 'host-port'
  | 'too-many-pods'
  | 'insufficient-resource';

export type Eligibility =
  { readonly ok: true } | { readonly ok: false; readonly rule: EligibilityRule; readonly reason: string };

/** What the pods already on the node take: summed requests (sumRequests), their count, their host ports. */
export interface NodeUsage {
  readonly requested: ResourceAmounts;
  readonly podCount: number;
  readonly hostPorts: readonly HostPort[];
}

export interface EligibilityOptions {
  /** Resources the caller accounts for itself (e.g. the GPU resources); the fit check skips them. */
  readonly ignoreResources?: readonly string[] | undefined;
}

/** A node with nothing on it. */
export const EMPTY_USAGE: NodeUsage = { requested: {}, podCount: 0, hostPorts: [] };

/** kube-scheduler's reason texts (ports, resources, taints and affinity word for word). */
export const EligibilityReason = {
  cordoned: 'node is cordoned',
  notReady: 'node is not Ready',
  affinity: "node(s) didn't match Pod's node affinity/selector",
  hostPorts: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  untoleratedTaint: (taint: string) => `node(s) had untolerated taint ${taint}`,
  insufficient: (resource: string) => `Insufficient ${resource}`,
} as const;

const OK: Eligibility = { ok: true };

function reject(rule: EligibilityRule, reason: string): Eligibility {
  return { ok: false, rule, reason };
}

/**
 * The rules that depend only on the pod and the node, not on what else runs there: cordon, readiness,
 * taints, nodeSelector, required node affinity. Cacheable per (pod template, node).
 */
export function nodeAdmitsPod(pod: PodShape, node: NodeShape): Eligibility {
  if (cordonedForPod(pod, node)) return reject('unschedulable', EligibilityReason.cordoned);
  if (notReadyForPod(pod, node)) return reject('not-ready', EligibilityReason.notReady);
  const taint = firstUntoleratedTaint(pod, node);
  if (taint !== undefined) return reject('taint', EligibilityReason.untoleratedTaint(describeTaint(taint)));
  if (!matchesNodeSelector(pod, node)) return reject('node-selector', EligibilityReason.affinity);
  if (!matchesRequiredNodeAffinity(pod, node)) return reject('node-affinity', EligibilityReason.affinity);
  return OK;
}

/**
 * The rules that depend on the node's usage: free host ports, then the pod count and resources.
 * Throws DemandError for a malformed pod quantity, QuantityError for a malformed allocatable one.
 */
export function nodeFitsUsage(
  pod: PodShape,
  node: NodeShape,
  usage: NodeUsage,
  options: EligibilityOptions = {},
): Eligibility {
  if (firstHostPortConflict(podHostPorts(pod), usage.hostPorts) !== undefined) {
    return reject('host-port', EligibilityReason.hostPorts);
  }
  const allocatable = nodeAllocatable(node);
  if (podSlotsLeft(allocatable, usage.podCount) < 1)
    return reject('too-many-pods', EligibilityReason.tooManyPods);
  const short = insufficientResources(
    podRequests(pod),
    allocatable,
    usage.requested,
    options.ignoreResources,
  );
  const first = short[0];
  return first === undefined ? OK : reject('insufficient-resource', EligibilityReason.insufficient(first));
}

/** Every node-level Filter rule: nodeAdmitsPod, then nodeFitsUsage. */
export function nodeEligibility(
  pod: PodShape,
  node: NodeShape,
  usage: NodeUsage,
  options: EligibilityOptions = {},
): Eligibility {
  const admitted = nodeAdmitsPod(pod, node);
  return admitted.ok ? nodeFitsUsage(pod, node, usage, options) : admitted;
}
