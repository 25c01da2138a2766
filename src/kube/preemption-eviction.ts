// Phalanx's own preemption through the API server (app/preemption/preemption-controller.ts): victims
// are evicted with the Eviction API (policy/v1), so PodDisruptionBudgets are enforced by the API server
// itself (429 = a budget forbids it now), and then marked with the DisruptionTarget condition naming
// the preemptor (the Eviction API writes its own generic reason first; ours replaces it while the pod
// terminates). The preemptor's status.nominatedNodeName tells kube-scheduler where it is expected.
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import type { EvictionResult, PodNominator, PreemptionEvictor } from '../app/preemption/ports.js';
import type { PodRef } from '../app/ports.js';
import type { Clock } from '../core/types.js';
import { httpStatusOf } from './api-errors.js';
import { markDisruptionTarget } from './disruption-target.js';

export type EvictionApi = Pick<CoreV1Api, 'createNamespacedPodEviction' | 'patchNamespacedPodStatus'>;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class ApiPreemptionEvictor implements PreemptionEvictor {
  readonly #api: EvictionApi;
  readonly #clock: Clock;

  constructor(api: EvictionApi, clock: Clock) {
    this.#api = api;
    this.#clock = clock;
  }

  async evict(pod: PodRef, reason: string, message: string): Promise<EvictionResult> {
    try {
      await this.#api.createNamespacedPodEviction({
        name: pod.name,
        namespace: pod.namespace,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod.name, namespace: pod.namespace },
          deleteOptions: { preconditions: { uid: pod.uid } },
        },
      });
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 429) return 'refused';
      if (status === 404 || status === 409) return 'gone';
      throw err;
    }
    await this.#markDisrupted(pod, reason, message);
    return 'evicted';
  }

  /** Best effort: a pod already gone (grace period 0) needs no condition. */
  async #markDisrupted(pod: PodRef, reason: string, message: string): Promise<void> {
    try {
      await markDisruptionTarget(this.#api, pod, reason, message, this.#clock.now());
    } catch (err) {
      const status = httpStatusOf(err);
      if (status !== 404 && status !== 409) throw err;
    }
  }
}

export class ApiPodNominator implements PodNominator {
  readonly #api: Pick<CoreV1Api, 'patchNamespacedPodStatus'>;

  constructor(api: Pick<CoreV1Api, 'patchNamespacedPodStatus'>) {
    this.#api = api;
  }

  async nominate(pod: PodRef, node: string): Promise<void> {
    await this.#patch(pod, node);
  }

  async clear(pod: PodRef): Promise<void> {
    // null removes the field in a merge patch.
    await this.#patch(pod, null);
  }

  async #patch(pod: PodRef, node: string | null): Promise<void> {
    try {
      await this.#api.patchNamespacedPodStatus(
        {
          name: pod.name,
          namespace: pod.namespace,
          body: { metadata: { uid: pod.uid }, status: { nominatedNodeName: node } },
        },
        mergePatch,
      );
    } catch (err) {
      const status = httpStatusOf(err);
      // 422: already bound (the API server forbids a nomination then), so none is needed.
      if (status !== 404 && status !== 409 && status !== 422) throw err;
    }
  }
}
