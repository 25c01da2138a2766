// In-memory implementations of the app ports for unit tests: an API server of pods that records
// every write the binder makes.
import { BindError, type Binder, type PodReader, type PodRef } from '../../src/app/ports.js';
import type { PodShape } from '../../src/core/kube-shapes.js';

interface MutablePod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec: { nodeName?: string; containers: unknown[]; schedulingGates?: { name: string }[] };
  status?: { phase?: string };
}

export class FakeApi implements PodReader, Binder {
  readonly pods = new Map<string, MutablePod>();
  readonly bindings: { pod: PodRef; node: string; annotations: Record<string, string> }[] = [];
  /** Pods finish the moment they are bound (a fast Job pod under KWOK). */
  finishOnBind = false;
  /** Set to make the next annotateAndBind calls fail with this error. */
  failNext: BindError | undefined;
  /** Each Binding takes this long to be written (timers: fake ones in tests that advance them). */
  bindLatencyMs = 0;

  add(pod: PodShape): void {
    const copy = structuredClone(pod) as unknown as MutablePod;
    this.pods.set(`${copy.metadata.namespace}/${copy.metadata.name}`, copy);
  }

  getPod(namespace: string, name: string, uid?: string): Promise<PodShape | undefined> {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod || (uid !== undefined && pod.metadata.uid !== uid)) return Promise.resolve(undefined);
    return Promise.resolve(structuredClone(pod) as PodShape);
  }

  annotateAndBind(pod: PodRef, node: string, annotations: Readonly<Record<string, string>>): Promise<void> {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      return Promise.reject(err);
    }
    const stored = this.pods.get(`${pod.namespace}/${pod.name}`);
    if (!stored || stored.metadata.uid !== pod.uid)
      return Promise.reject(new BindError('gone', 'pod not found'));
    if (stored.spec.nodeName)
      return Promise.reject(new BindError('conflict', `already bound to ${stored.spec.nodeName}`));
    stored.metadata.annotations = { ...(stored.metadata.annotations ?? {}), ...annotations };
    stored.spec.nodeName = node;
    if (this.finishOnBind) stored.status = { phase: 'Succeeded' };
    this.bindings.push({ pod, node, annotations: { ...annotations } });
    if (this.bindLatencyMs === 0) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, this.bindLatencyMs));
  }

  removeSchedulingGate(pod: PodRef, gate: string): Promise<void> {
    const stored = this.pods.get(`${pod.namespace}/${pod.name}`);
    if (stored?.spec.schedulingGates) {
      stored.spec.schedulingGates = stored.spec.schedulingGates.filter((g) => g.name !== gate);
    }
    return Promise.resolve();
  }
}
