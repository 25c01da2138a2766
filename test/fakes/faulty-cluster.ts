// An in-memory API server of nodes and pods for the fault-injection harness. It answers the app
// ports (PodReader, Binder, PodEvictor) and fails each call at the rate it is given, the way a real
// one fails: refusals (4xx, nothing happened), 5xx whose read-back shows nothing happened, and
// timeouts where the write did or did not land and the read-back failed too. Every change is
// published as a watch event to each subscriber's queue; the harness decides when they arrive.
import { BindError, type Binder, type PodReader, type PodRef } from '../../src/app/ports.js';
import type { PodEvictor } from '../../src/app/preemption/ports.js';
import type { NodeShape, PodShape } from '../../src/core/kube-shapes.js';

export type WatchEvent =
  | { readonly kind: 'pod'; readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly pod: PodShape }
  | { readonly kind: 'node'; readonly type: 'ADDED' | 'DELETED'; readonly node: NodeShape };

type BindFault = 'refused' | 'unavailable' | 'timeout-landed' | 'timeout-lost';

interface StoredPod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec: { nodeName?: string };
  status?: { phase?: string };
}

export class FaultyCluster implements PodReader, Binder, PodEvictor {
  readonly pods = new Map<string, PodShape>();
  readonly nodes = new Map<string, NodeShape>();
  /** Probability that any one call fails (0 in the calm phase). */
  faultRate = 0;
  /** How many calls failed on purpose. */
  injected = 0;
  /** Every write, for diagnosis when a property fails. */
  readonly log: string[] = [];
  readonly #random: () => number;
  readonly #queues = new Set<WatchEvent[]>();
  #version = 0;

  constructor(random: () => number) {
    this.#random = random;
  }

  /** A queue that receives every event from now on, and the state it starts from (one instant). */
  subscribe(): { queue: WatchEvent[]; nodes: NodeShape[]; pods: PodShape[] } {
    const queue: WatchEvent[] = [];
    this.#queues.add(queue);
    return { queue, nodes: [...this.nodes.values()].map(clone), pods: [...this.pods.values()].map(clone) };
  }

  unsubscribe(queue: WatchEvent[]): void {
    this.#queues.delete(queue);
  }

  addNode(node: NodeShape): void {
    this.nodes.set(node.metadata?.name ?? '', clone(node));
    this.#publish({ kind: 'node', type: 'ADDED', node: clone(node) });
  }

  removeNode(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    this.nodes.delete(name);
    this.#publish({ kind: 'node', type: 'DELETED', node: clone(node) });
  }

  createPod(pod: PodShape): void {
    const stored = clone(pod) as unknown as StoredPod;
    stored.metadata.resourceVersion = String(++this.#version);
    stored.metadata.creationTimestamp = new Date(this.#version * 1000).toISOString();
    this.pods.set(keyOf(stored.metadata), stored);
    this.#publish({ kind: 'pod', type: 'ADDED', pod: clone(stored as unknown as PodShape) });
  }

  deletePod(namespace: string, name: string, uid?: string): PodShape | undefined {
    const key = `${namespace}/${name}`;
    const pod = this.pods.get(key);
    if (pod === undefined || (uid !== undefined && pod.metadata?.uid !== uid)) return undefined;
    this.pods.delete(key);
    this.log.push(`delete ${key}`);
    this.#publish({ kind: 'pod', type: 'DELETED', pod: clone(pod) });
    return pod;
  }

  getPod(namespace: string, name: string, uid?: string): Promise<PodShape | undefined> {
    if (this.#fails()) return Promise.reject(new Error(`read pod ${namespace}/${name}: HTTP 503`));
    const pod = this.pods.get(`${namespace}/${name}`);
    if (pod === undefined || (uid !== undefined && pod.metadata?.uid !== uid))
      return Promise.resolve(undefined);
    return Promise.resolve(clone(pod));
  }

  annotateAndBind(ref: PodRef, node: string, annotations: Readonly<Record<string, string>>): Promise<void> {
    const fault = this.#bindFault();
    if (fault === 'refused') return Promise.reject(new BindError('other', 'HTTP 403: injected refusal'));
    if (fault === 'unavailable') return Promise.reject(new BindError('unbound', 'HTTP 503; still unbound'));
    if (fault === 'timeout-lost')
      return Promise.reject(new BindError('unknown', 'timeout; read-back failed'));
    const stored = this.pods.get(`${ref.namespace}/${ref.name}`) as unknown as StoredPod | undefined;
    if (stored === undefined || stored.metadata.uid !== ref.uid) {
      return Promise.reject(new BindError('gone', 'HTTP 404'));
    }
    if (stored.spec.nodeName !== undefined) {
      return Promise.reject(
        new BindError('conflict', `HTTP 409: already assigned to ${stored.spec.nodeName}`),
      );
    }
    // The API server does not check that the node exists; the pod GC deletes such pods later.
    stored.metadata.annotations = { ...(stored.metadata.annotations ?? {}), ...annotations };
    stored.spec.nodeName = node;
    stored.metadata.resourceVersion = String(++this.#version);
    this.log.push(`bind ${ref.namespace}/${ref.name} ${node}`);
    this.#publish({ kind: 'pod', type: 'MODIFIED', pod: clone(stored as unknown as PodShape) });
    if (fault === 'timeout-landed') return Promise.reject(new BindError('unknown', 'timeout; landed'));
    return Promise.resolve();
  }

  removeSchedulingGate(): Promise<void> {
    return Promise.resolve();
  }

  evict(pod: PodRef, message: string): Promise<void> {
    if (this.#fails()) return Promise.reject(new Error('evict: HTTP 503'));
    this.log.push(`evict ${pod.namespace}/${pod.name}: ${message}`);
    this.deletePod(pod.namespace, pod.name, pod.uid);
    return Promise.resolve();
  }

  #fails(): boolean {
    const fails = this.faultRate > 0 && this.#random() < this.faultRate;
    if (fails) this.injected += 1;
    return fails;
  }

  #bindFault(): BindFault | undefined {
    if (!this.#fails()) return undefined;
    const kinds: BindFault[] = ['refused', 'unavailable', 'timeout-landed', 'timeout-lost'];
    return kinds[Math.floor(this.#random() * kinds.length)];
  }

  #publish(event: WatchEvent): void {
    for (const queue of this.#queues) queue.push(event);
  }
}

function keyOf(m: { namespace: string; name: string }): string {
  return `${m.namespace}/${m.name}`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
