// Ports: what the application layer needs from the outside world. src/kube implements them against
// the API server; test/fakes implements them in memory. Contract file: keep every obligation written.
import type { PodShape } from '../core/kube-shapes.js';

/** Identifies one pod incarnation: the UID distinguishes a pod recreated under the same name. */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** Reads pods; the informer cache first, the API server when the cache does not have it yet. */
export interface PodReader {
  /** The pod, or undefined when it does not exist (or exists with another UID when `uid` is given). */
  getPod(namespace: string, name: string, uid?: string): Promise<PodShape | undefined>;
}

/**
 * What a failed Binder call says about the pod:
 * - 'conflict': already bound or UID mismatch (409); 'gone': pod deleted (404);
 * - 'other': refused for another reason (any other 4xx): the pod is not bound by this call;
 * - 'unbound': the API server failed (5xx, 429, transport) and a fresh read shows the pod still
 *   unbound: nothing landed, trying again is safe;
 * - 'unknown': the request timed out or failed and the pod could not be read back: the Binding may
 *   have landed, so whatever it decided must stay held until the pod is seen bound or gone.
 */
export type BindErrorKind = 'conflict' | 'gone' | 'other' | 'unbound' | 'unknown';

/** Error from a Binder call that tells the caller whether the pod may in fact be bound. */
export class BindError extends Error {
  readonly kind: BindErrorKind;
  constructor(kind: BindErrorKind, message: string) {
    super(message);
    this.name = 'BindError';
    this.kind = kind;
  }
}

/** The only writer of scheduling decisions. */
export interface Binder {
  /**
   * Writes `annotations` onto the pod with a JSON merge patch (guarded by the pod UID), then creates
   * the pods/binding subresource with the UID as precondition. Throws BindError. Not idempotent on
   * its own: callers check the pod first.
   */
  annotateAndBind(pod: PodRef, node: string, annotations: Readonly<Record<string, string>>): Promise<void>;
  /** Removes the named scheduling gate from the pod (no-op when absent). */
  removeSchedulingGate(pod: PodRef, gate: string): Promise<void>;
}

/** Records Kubernetes Events on pods. Fire-and-forget: failures are logged, never thrown. */
export interface EventRecorder {
  podEvent(pod: PodRef, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Leader election status: only the leader serves verbs and reports ready. */
export interface LeaderStatus {
  isLeader(): boolean;
}

/**
 * Fencing of writes (Bindings, evictions, status patches). Checked right before each write: a
 * replica that cannot say it will still hold the Lease when the write lands must not write, since
 * another replica may already lead and write from its own view.
 */
export interface LeaderFence {
  /**
   * True while this replica holds the Lease and renewed it recently enough that no other replica
   * can take it over before a write started now completes (renew deadline minus a margin).
   */
  holdsLeaseWithMargin(): boolean;
}

/** Readiness of the cluster view: true after the first full list of nodes and pods was applied. */
export interface SyncStatus {
  isSynced(): boolean;
  /** Milliseconds since the last event or successful re-list per resource (staleness). */
  staleness(): Readonly<Record<string, number>>;
}

/** Pods of one gang as the informer cache sees them (any phase), keyed by "<namespace>/<pod-group>". */
export interface GangMemberIndex {
  members(groupKey: string): readonly PodShape[];
}
