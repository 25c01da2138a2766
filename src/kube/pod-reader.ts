// PodReader over the informer's index, falling back to the API server for pods the watch has not
// delivered yet (the scheduler can call bind moments after a pod was created).
import type { CoreV1Api } from '@kubernetes/client-node';
import type { PodReader } from '../app/ports.js';
import type { PodShape } from '../core/kube-shapes.js';
import { httpStatusOf, withTimeout } from './api-errors.js';

export interface PodLookup {
  get(namespace: string, name: string): PodShape | undefined;
}

export class CachedPodReader implements PodReader {
  readonly #cache: PodLookup;
  readonly #api: Pick<CoreV1Api, 'readNamespacedPod'>;
  readonly #timeoutMs: number;

  constructor(cache: PodLookup, api: Pick<CoreV1Api, 'readNamespacedPod'>, timeoutMs = 5_000) {
    this.#cache = cache;
    this.#api = api;
    this.#timeoutMs = timeoutMs;
  }

  async getPod(namespace: string, name: string, uid?: string): Promise<PodShape | undefined> {
    const cached = this.#cache.get(namespace, name);
    if (cached !== undefined && (uid === undefined || cached.metadata?.uid === uid)) return cached;
    try {
      const live = await withTimeout(
        this.#api.readNamespacedPod({ name, namespace }),
        this.#timeoutMs,
        `read pod ${namespace}/${name}`,
      );
      return uid === undefined || live.metadata?.uid === uid ? live : undefined;
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }
}
