// ProvisioningRequest mode for gangs (config autoscaling.gangs: provisioningRequest, when the
// autoscaling.x-k8s.io/v1 API is served): instead of placeholder pods, one ProvisioningRequest per
// waiting gang whose pod sets are the gang's placeholder shapes (PodTemplates), so
// cluster-autoscaler scales up all of it or nothing (class best-effort-atomic-scale-up by default).
// The gang's waiting pods are annotated as consuming the request, so the autoscaler counts them
// once, inside the request, not again as single pods. Nothing holds devices: once the request is
// Provisioned, the nodes are there and the real pods take them. A Failed request (or one whose
// booking expired or whose capacity was revoked) is deleted and, while the gang still waits,
// created again after `retryMs`. Pure: what to create and delete.
import { shortHash } from '../short-hash.js';
import { placeholderName } from './placeholder-names.js';
import type { PlaceholderSpec } from './placeholder-plan.js';

export const ProvisioningApi = {
  group: 'autoscaling.x-k8s.io',
  version: 'v1',
  plural: 'provisioningrequests',
  kind: 'ProvisioningRequest',
} as const;

export const DEFAULT_PROVISIONING_CLASS = 'best-effort-atomic-scale-up.autoscaling.x-k8s.io';

/** Annotations on a pod that consumes a request (the current keys, and the ones older autoscalers read). */
export const ConsumeAnnotation = {
  request: 'autoscaling.x-k8s.io/consume-provisioning-request',
  className: 'autoscaling.x-k8s.io/provisioning-class-name',
  legacyRequest: 'cluster-autoscaler.kubernetes.io/consume-provisioning-request',
  legacyClassName: 'cluster-autoscaler.kubernetes.io/provisioning-class-name',
} as const;

export interface PodSetSpec {
  readonly templateName: string;
  readonly count: number;
  /** The shape of each pod of the set (a placeholder's). */
  readonly template: PlaceholderSpec;
}

export interface RequestSpec {
  readonly name: string;
  readonly unit: string;
  readonly podSets: readonly PodSetSpec[];
  readonly specHash: string;
  /** The waiting pods that consume it. */
  readonly forPods: readonly string[];
  readonly demand: string;
}

/** One ProvisioningRequest per gang unit; identical member shapes share a pod set. */
export function requestsFor(specs: readonly PlaceholderSpec[]): RequestSpec[] {
  const byUnit = new Map<string, PlaceholderSpec[]>();
  for (const spec of specs) {
    if (spec.kind !== 'gang') continue;
    const unitSpecs = byUnit.get(spec.unit);
    if (unitSpecs !== undefined) unitSpecs.push(spec);
    else byUnit.set(spec.unit, [spec]);
  }
  const requests: RequestSpec[] = [];
  for (const [unit, unitSpecs] of byUnit) {
    const sets = new Map<string, { template: PlaceholderSpec; count: number }>();
    for (const spec of unitSpecs) {
      const set = sets.get(spec.specHash);
      if (set !== undefined) set.count += 1;
      else sets.set(spec.specHash, { template: spec, count: 1 });
    }
    const ordered = [...sets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const podSets = ordered.map(([, set], i) => ({
      templateName: placeholderName(unit, i),
      count: set.count,
      template: set.template,
    }));
    requests.push({
      name: `phalanx-request-${unit}`,
      unit,
      podSets,
      specHash: shortHash(ordered.map(([hash, set]) => `${hash}x${set.count}`).join(',')),
      forPods: unitSpecs.flatMap((s) => s.forPods),
      demand: (unitSpecs[0] as PlaceholderSpec).demand,
    });
  }
  return requests;
}

export type RequestState = 'pending' | 'provisioned' | 'failed';

export interface ObservedRequest {
  readonly name: string;
  readonly uid: string;
  readonly unit: string;
  readonly specHash: string | undefined;
  readonly state: RequestState;
  readonly deleting: boolean;
}

interface ConditionShape {
  readonly type?: string;
  readonly status?: string;
}

/** The state a request's conditions say: failed wins (the request must be replaced), then provisioned. */
export function requestState(conditions: readonly ConditionShape[] | undefined): RequestState {
  const isTrue = (type: string): boolean =>
    (conditions ?? []).some((c) => c.type === type && c.status === 'True');
  if (isTrue('Failed') || isTrue('BookingExpired') || isTrue('CapacityRevoked')) return 'failed';
  return isTrue('Provisioned') ? 'provisioned' : 'pending';
}

export type RequestAction =
  | { readonly kind: 'create'; readonly request: RequestSpec }
  | {
      readonly kind: 'delete';
      readonly name: string;
      readonly uid: string;
      readonly unit: string;
      readonly reason: string;
    };

export interface RequestReconcileInput {
  readonly desired: readonly RequestSpec[];
  readonly observed: readonly ObservedRequest[];
  readonly creating: ReadonlySet<string>;
  /** Unit id → not before (ms): a failed request's gang waits this long for a new one. */
  readonly retryAt: ReadonlyMap<string, number>;
  readonly now: number;
  readonly retryMs: number;
}

export interface RequestReconcile {
  readonly actions: RequestAction[];
  readonly retryAt: ReadonlyMap<string, number>;
}

export function reconcileRequests(input: RequestReconcileInput): RequestReconcile {
  const actions: RequestAction[] = [];
  const retryAt = new Map([...input.retryAt].filter(([, at]) => at > input.now));
  const wanted = new Map(input.desired.map((r) => [r.name, r]));
  for (const o of input.observed) {
    if (o.deleting) continue;
    const spec = wanted.get(o.name);
    let reason: string | undefined;
    if (spec === undefined) reason = 'no waiting gang for it';
    else if (spec.specHash !== o.specHash) reason = 'the gang changed';
    else if (o.state === 'failed') {
      reason = 'failed, expired or revoked';
      retryAt.set(o.unit, input.now + input.retryMs);
    }
    if (reason !== undefined)
      actions.push({ kind: 'delete', name: o.name, uid: o.uid, unit: o.unit, reason });
  }
  const present = new Set(input.observed.map((o) => o.name));
  for (const request of input.desired) {
    if (present.has(request.name) || input.creating.has(request.name) || retryAt.has(request.unit)) continue;
    actions.push({ kind: 'create', request });
  }
  return { actions, retryAt };
}
