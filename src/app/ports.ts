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

/** Error from a Binder call that tells the caller whether the pod may in fact be bound. */
export class BindError extends Error {
  /** 'conflict': already bound or UID mismatch (409); 'gone': pod deleted (404); 'other'. */
  readonly kind: 'conflict' | 'gone' | 'other';
  constructor(kind: 'conflict' | 'gone' | 'other', message: string) {
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
