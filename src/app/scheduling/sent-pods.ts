// The pods kube-scheduler sent with its filter requests, by namespace/name, for the bind that
// follows. The informer may not have delivered a pod created a moment ago (seconds ago on a busy
// replica); reading it from the API server first would leave its devices unreserved for that round
// trip, and every pod scheduled meanwhile would see them free: replicas meant to pack two per device
// would spread one per node. The scheduler's copy is the one its filter answer was about.
import type { PodShape } from '../../core/kube-shapes.js';

/**
 * Pods remembered at most, the oldest going first: more than are usually between filter and bind
 * at once, and a pod's object can weigh kilobytes. A pod forgotten is read as before (informer, API).
 */
const DEFAULT_CAPACITY = 1_024;

export class SentPods {
  readonly #byKey = new Map<string, PodShape>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  remember(pod: PodShape): void {
    const key = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
    // Requests with unchanged bytes may hand back the same frozen object: nothing to do then.
    if (this.#byKey.get(key) === pod) return;
    this.#byKey.delete(key);
    this.#byKey.set(key, pod);
    if (this.#byKey.size > this.#capacity) {
      const oldest = this.#byKey.keys().next().value;
      if (oldest !== undefined) this.#byKey.delete(oldest);
    }
  }

  get(namespace: string, name: string): PodShape | undefined {
    return this.#byKey.get(`${namespace}/${name}`);
  }
}
