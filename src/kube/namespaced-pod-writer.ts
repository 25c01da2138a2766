// Pods Phalanx creates and deletes itself (GPU reservations, capacity placeholders): created from a
// manifest in one namespace, where "already exists" is success (a retry, or another replica's write
// raced ours), and deleted by UID precondition, so a pod re-created under the same name is never hit.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { withTimeout } from './api-errors.js';
import { createOrFindExisting, unlessGone } from './idempotent-writes.js';

export type NamespacedPodApi = Pick<CoreV1Api, 'createNamespacedPod' | 'deleteNamespacedPod'>;

export interface NamespacedPodWriterOptions {
  readonly namespace: string;
  /** Names the pod kind in timeout errors, e.g. "reservation pod". */
  readonly what: string;
  /** Grace period for deletions; unset keeps the pod's own. */
  readonly deleteGraceSeconds?: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

export class NamespacedPodWriter {
  readonly #api: NamespacedPodApi;
  readonly #options: NamespacedPodWriterOptions;

  /** `api`: fenced on the Lease for both writes (serve.ts). */
  constructor(api: NamespacedPodApi, options: NamespacedPodWriterOptions) {
    this.#api = api;
    this.#options = options;
  }

  async createPod(body: V1Pod): Promise<'created' | 'exists'> {
    return createOrFindExisting(
      withTimeout(
        this.#api.createNamespacedPod({ namespace: this.#options.namespace, body }),
        REQUEST_TIMEOUT_MS,
        `create ${this.#options.what} ${body.metadata?.name ?? ''}`,
      ),
    );
  }

  async delete(name: string, uid: string): Promise<void> {
    const grace = this.#options.deleteGraceSeconds;
    const graceFields = grace === undefined ? {} : { gracePeriodSeconds: grace };
    await unlessGone(
      withTimeout(
        this.#api.deleteNamespacedPod({
          name,
          namespace: this.#options.namespace,
          ...graceFields,
          body: { ...graceFields, preconditions: { uid } },
        }),
        REQUEST_TIMEOUT_MS,
        `delete ${this.#options.what} ${name}`,
      ),
    );
  }
}
