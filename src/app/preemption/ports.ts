// Ports the preemption use cases need. src/kube implements them (informer cache, pod deletion);
// tests use in-memory fakes. Contract file: keep every obligation written.
import type { PodShape } from '../../core/kube-shapes.js';
import type { PodRef } from '../ports.js';

/** Pods bound to one node, from the informer cache. */
export interface NodePods {
  /** Every pod with spec.nodeName === node that has not finished (Succeeded/Failed). */
  podsOn(node: string): readonly PodShape[];
}

/** Deletes one pod incarnation (UID precondition), saying why; a pod already gone is not an error. */
export interface PodEvictor {
  evict(pod: PodRef, message: string): Promise<void>;
}
