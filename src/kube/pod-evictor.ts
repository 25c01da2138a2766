// Deletes a pod incarnation for preemption (app/preemption/preempt-gangs.ts) the way kube-scheduler deletes its
// own victims: first the DisruptionTarget condition on its status (so a Job's podFailurePolicy can
// tell a disruption from a failure and not burn its backoffLimit), then a plain delete guarded by the
// UID; the pod's grace period applies. A pod already gone (404) or replaced under the same name (409,
// UID precondition failed) needs nothing more. A failed status patch does not stop the delete.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { PodEvictor } from '../app/preemption/ports.js';
import type { PodRef } from '../app/ports.js';
import type { Clock } from '../core/types.js';
import { httpStatusOf } from './api-errors.js';
import { markDisruptionTarget } from './disruption-target.js';

export type PodDeleteApi = Pick<CoreV1Api, 'deleteNamespacedPod' | 'patchNamespacedPodStatus'>;

/** The condition reason Phalanx writes on the gang members it evicts. */
export const GANG_PREEMPTION_REASON = 'PreemptionOfGang';

export class ApiPodEvictor implements PodEvictor {
  readonly #api: PodDeleteApi;
  readonly #clock: Clock;

  constructor(api: PodDeleteApi, clock: Clock) {
    this.#api = api;
    this.#clock = clock;
  }

  async evict(pod: PodRef, message: string): Promise<void> {
    try {
      await markDisruptionTarget(this.#api, pod, GANG_PREEMPTION_REASON, message, this.#clock.now());
    } catch (err) {
      if (httpStatusOf(err) === 404) return;
    }
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
