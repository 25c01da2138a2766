// Deletes a pod incarnation for preemption (app/preempt-gangs.ts): a plain delete guarded by the
// UID, as kube-scheduler deletes its own victims; the pod's grace period applies. A pod already gone
// (404) or replaced under the same name (409, UID precondition failed) needs nothing more.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { PodEvictor } from '../app/preempt-gangs.js';
import type { PodRef } from '../app/ports.js';
import { httpStatusOf } from './api-errors.js';

export type PodDeleteApi = Pick<CoreV1Api, 'deleteNamespacedPod'>;

export class ApiPodEvictor implements PodEvictor {
  readonly #api: PodDeleteApi;

  constructor(api: PodDeleteApi) {
    this.#api = api;
  }

  async evict(pod: PodRef): Promise<void> {
    try {
      await this.#api.deleteNamespacedPod({
        name: pod.name,
        namespace: pod.namespace,
        body: { preconditions: { uid: pod.uid } },
      });
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 404 || status === 409) return;
      throw err;
    }
  }
}
