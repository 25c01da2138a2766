// The one way a scheduling decision becomes real, for single pods and gang members alike: write the
// Binding (carrying the decision annotations), then commit the pod's reserved devices, or release
// them on any failure. Callers reserve first, so a concurrent filter already sees the devices taken.
import { encodeAssignment } from '../../core/assignment-codec.js';
import type { ClusterState } from '../../core/cluster-state.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { Decision } from '../../core/names.js';
import type { Assignment } from '../../core/types.js';
import { BindError, type Binder, type PodReader, type PodRef } from '../ports.js';

export interface BindingWriterDeps {
  readonly state: ClusterState;
  readonly binder: Binder;
  readonly pods: PodReader;
  /** Called once per pod whose devices were committed after its Binding was written. */
  readonly onBound?: (pod: PodRef, assignment: Assignment) => void;
}

export class BindingWriter {
  private readonly deps: BindingWriterDeps;

  constructor(deps: BindingWriterDeps) {
    this.deps = deps;
  }

  /**
   * Binds `ref` to `node` with the assignment's devices (if any) and `extraAnnotations` (further
   * decisions, e.g. a gang's placement level). Resolves to '' on success or the reason it failed;
   * never rejects. A conflict where the pod turns out to be bound to `node` already counts as success.
   */
  async write(
    ref: PodRef,
    node: string,
    assignment: Assignment | undefined,
    extraAnnotations: Readonly<Record<string, string>> = {},
  ): Promise<string> {
    // A gang member without GPUs holds a slot with no devices: nothing to record or commit.
    const devices = assignment !== undefined && assignment.devices.length > 0 ? assignment : undefined;
    const annotations = {
      ...extraAnnotations,
      ...(devices ? { [Decision.gpuDevices]: encodeAssignment(devices) } : {}),
    };
    try {
      await this.deps.binder.annotateAndBind(ref, node, annotations);
    } catch (err) {
      const kind = err instanceof BindError ? err.kind : 'other';
      if (kind === 'conflict' && (await this.isBoundTo(ref, node))) {
        if (devices) await this.commitIfLive(ref, devices);
        else this.deps.state.release(ref.uid);
        return '';
      }
      this.deps.state.release(ref.uid);
      return `binding ${ref.namespace}/${ref.name} to ${node} failed: ${(err as Error).message}`;
    }
    if (devices) {
      const committed = await this.commitIfLive(ref, devices);
      if (committed === 'refused') return `bound, but the ledger refused the commit`;
      this.deps.onBound?.(ref, devices);
    } else if (assignment) {
      this.deps.state.release(ref.uid);
    }
    return '';
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
      state.release(ref.uid);
      return 'released';
    }
    return state.commit(ref.uid, assignment).ok ? 'committed' : 'refused';
  }

  private async isBoundTo(ref: PodRef, node: string): Promise<boolean> {
    const pod = await this.deps.pods.getPod(ref.namespace, ref.name, ref.uid);
    return pod?.spec?.nodeName === node;
  }
}
