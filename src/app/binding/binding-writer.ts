// The one way a scheduling decision becomes real, for single pods and gang members alike: write the
// Binding (carrying the decision annotations), then commit the pod's reserved devices. Callers
// reserve first, so a concurrent filter already sees the devices taken. A failure releases the
// reservation only when the pod is surely not bound by it ("refused", a 4xx, or a 5xx whose read-back
// shows the pod unbound); when the outcome is unknown (timeout, and the pod could not be read back)
// the reservation stays with its TTL: the informer commits it when it sees the pod bound, or it
// expires. Releasing there would hand out devices a landed Binding is using.
import { encodeAssignment } from '../../core/assignment-codec.js';
import type { ClusterState } from '../../core/cluster-state.js';
import { sameAssignment } from '../../core/ledger/assignment-shape.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { Decision } from '../../core/names.js';
import type { Assignment } from '../../core/types.js';
import { BindError, type Binder, type LeaderFence, type PodReader, type PodRef } from '../ports.js';

export interface BindingWriterDeps {
  readonly state: ClusterState;
  readonly binder: Binder;
  readonly pods: PodReader;
  /** Checked right before every Binding; without it this replica always may write. */
  readonly fence?: LeaderFence;
  /** Called once per pod whose devices were committed after its Binding was written. */
  readonly onBound?: (pod: PodRef, assignment: Assignment) => void;
  /**
   * Runs before a Binding that gives devices; its annotations go into the Binding (GPU reservations:
   * a share's device UUID, the first share on a device waiting for it). A failure fails the attempt.
   */
  readonly deviceStep?: (pod: PodRef, assignment: Assignment) => Promise<DeviceStepResult>;
}

export type DeviceStepResult =
  | { readonly ok: true; readonly annotations: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: string };

/**
 * One Binding attempt. `retry`: trying again may succeed (the API server failed, not the request).
 * `maybeBound`: the Binding may have landed; whatever it decided must stay held.
 */
export type BindAttempt =
  | { readonly kind: 'bound' }
  | {
      readonly kind: 'failed';
      readonly reason: string;
      readonly retry: boolean;
      readonly maybeBound: boolean;
    };

const BOUND: BindAttempt = Object.freeze({ kind: 'bound' });

export const NOT_LEADER = 'this replica no longer holds the leader Lease with margin';

export class BindingWriter {
  private readonly deps: BindingWriterDeps;

  constructor(deps: BindingWriterDeps) {
    this.deps = deps;
  }

  /**
   * Binds `ref` to `node` with the assignment's devices (if any) and `extraAnnotations` (further
   * decisions, e.g. a gang's placement level). Resolves to '' on success or the reason it failed;
   * never rejects. On failure the reservation is released unless the Binding may have landed.
   */
  async write(
    ref: PodRef,
    node: string,
    assignment: Assignment | undefined,
    extraAnnotations: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    const outcome = await this.attempt(ref, node, assignment, extraAnnotations);
    if (outcome.kind === 'bound') return '';
    if (!outcome.maybeBound) this.releaseReservation(ref.uid);
    return outcome.reason;
  }

  /**
   * One attempt, committing the devices on success; on failure the reservation is left as it is, for
   * the caller to retry or release. Never rejects. A conflict where the pod turns out to be bound to
   * `node` already (an earlier attempt that landed) counts as success.
   */
  async attempt(
    ref: PodRef,
    node: string,
    assignment: Assignment | undefined,
    extraAnnotations: Readonly<Record<string, string>> = {},
  ): Promise<BindAttempt> {
    const failed = (reason: string, retry: boolean, maybeBound: boolean): BindAttempt => ({
      kind: 'failed',
      reason: `binding ${ref.namespace}/${ref.name} to ${node} failed: ${reason}`,
      retry,
      maybeBound,
    });
    if (this.deps.fence?.holdsLeaseWithMargin() === false) return failed(NOT_LEADER, false, false);
    // A gang member without GPUs holds a slot with no devices: nothing to record or commit.
    const devices = assignment !== undefined && assignment.devices.length > 0 ? assignment : undefined;
    const step = devices && this.deps.deviceStep ? await this.deps.deviceStep(ref, devices) : undefined;
    if (step?.ok === false) return failed(step.reason, false, false);
    // The step may have waited: the Lease is checked again right before the write.
    if (step !== undefined && this.deps.fence?.holdsLeaseWithMargin() === false) {
      return failed(NOT_LEADER, false, false);
    }
    // The devices must still be ours: a node removed (or shrunk) and seen again drops its
    // reservations, and whoever filtered since may hold them now. Binding anyway would give them twice.
    if (devices && !this.holds(ref.uid, devices)) {
      return failed(`its devices on ${node} are no longer reserved for it (the node changed)`, false, false);
    }
    const annotations = {
      ...extraAnnotations,
      ...(step?.ok === true ? step.annotations : {}),
      ...(devices ? { [Decision.gpuDevices]: encodeAssignment(devices) } : {}),
    };
    try {
      await this.deps.binder.annotateAndBind(ref, node, annotations);
    } catch (err) {
      const kind = err instanceof BindError ? err.kind : 'unknown';
      const message = err instanceof Error ? err.message : String(err);
      if (kind === 'conflict') {
        const bound = await this.isBoundTo(ref, node);
        if (bound === 'unknown') return failed(`${message}; the pod could not be read back`, true, true);
        if (!bound) return failed(message, false, false);
      } else {
        return failed(message, kind === 'unbound' || kind === 'unknown', kind === 'unknown');
      }
    }
    if (devices) {
      const committed = await this.commitIfLive(ref, devices);
      if (committed === 'refused') return failed('bound, but the ledger refused the commit', false, true);
      this.deps.onBound?.(ref, devices);
    } else if (assignment) {
      this.releaseReservation(ref.uid);
    }
    return BOUND;
  }

  private holds(uid: string, assignment: Assignment): boolean {
    const held = this.deps.state.holding(uid);
    return held !== undefined && held.displaced !== true && sameAssignment(held.assignment, assignment);
  }

  /** Drops the pod's reservation, never a commitment the informer made from the pod as bound. */
  releaseReservation(uid: string): void {
    if (this.deps.state.holding(uid)?.state === 'reserved') this.deps.state.release(uid);
  }

  /**
   * Commits a bound pod's devices unless the pod already finished or is gone: a fast pod (a KWOK
   * Job pod, a crash) can finish within the bind's round trip, and the informer's release for it may
   * already have run — committing after that would hold its devices forever. When the pod cannot be
   * read, the reservation stays: the informer commits it when it sees the bound pod, or it expires.
   */
  private async commitIfLive(
    ref: PodRef,
    assignment: Assignment,
  ): Promise<'committed' | 'released' | 'refused' | 'kept'> {
    const { state } = this.deps;
    let pod: PodShape | undefined;
    try {
      pod = await this.deps.pods.getPod(ref.namespace, ref.name, ref.uid);
    } catch {
      return 'kept';
    }
    const phase = pod?.status?.phase;
    if (!pod || phase === 'Succeeded' || phase === 'Failed') {
      this.releaseReservation(ref.uid);
      return 'released';
    }
    return state.commit(ref.uid, assignment).ok ? 'committed' : 'refused';
  }

  private async isBoundTo(ref: PodRef, node: string): Promise<boolean | 'unknown'> {
    try {
      const pod = await this.deps.pods.getPod(ref.namespace, ref.name, ref.uid);
      return pod?.spec?.nodeName === node;
    } catch {
      return 'unknown';
    }
  }
}
