// Ports of the autoscaling feature: writing placeholder pods, reading nodes, and what it reports.
// src/kube and src/metrics implement them; test/fakes or the tests implement them in memory.
import type { PlaceholderKind, PlaceholderSpec } from '../../core/autoscaling/placeholder-plan.js';
import type { ObservedRequest, RequestSpec } from '../../core/autoscaling/provisioning-requests.js';
import type { NodeShape, StringMap } from '../../core/kube-shapes.js';

/** Writes placeholder pods in the placeholder namespace. Fenced on the Lease by the adapter's caller. */
export interface PlaceholderPodWriter {
  /** Creates the pod; 'exists' when a pod of that name is there already. Throws otherwise. */
  create(spec: PlaceholderSpec): Promise<'created' | 'exists'>;
  /** Deletes the pod of that UID at once (no grace period); gone is success. */
  delete(name: string, uid: string): Promise<void>;
}

/** ProvisioningRequests (autoscaling.x-k8s.io/v1) and their PodTemplates in the placeholder namespace. */
export interface ProvisioningRequestPort {
  /** Whether the API is served (discovery; the adapter caches the answer). */
  served(): Promise<boolean>;
  /** Phalanx's requests as they are now. Throws when they cannot be listed. */
  list(): Promise<ObservedRequest[]>;
  /** Creates the request's PodTemplates, then the request; what exists already is kept. Throws otherwise. */
  create(request: RequestSpec): Promise<void>;
  /** Deletes the request of that UID and the unit's PodTemplates; gone is success. */
  delete(name: string, uid: string, unit: string): Promise<void>;
  /** Annotates a waiting pod ("<namespace>/<name>") as consuming the request (merge patch). */
  consume(pod: string, request: string): Promise<void>;
}

/** The nodes the informer knows. */
export interface NodeSource {
  labels(name: string): StringMap | undefined;
  all(): Iterable<NodeShape>;
}

export type PlaceholderState = 'pending' | 'scheduled';

/** What one reconcile pass found, for metrics. */
export interface AutoscalingSnapshot {
  /** Live placeholders by kind and state. */
  readonly placeholders: Readonly<Record<PlaceholderKind, Readonly<Record<PlaceholderState, number>>>>;
  /** Whole GPUs the waiting demand stands for, by kind (units over the bound excluded). */
  readonly demandGpus: Readonly<Record<PlaceholderKind, number>>;
  readonly unitsOverLimit: number;
}

export interface AutoscalingObserver {
  reconciled(snapshot: AutoscalingSnapshot): void;
  wrote(action: 'create' | 'delete', outcome: 'ok' | 'failed'): void;
}
