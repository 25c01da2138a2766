// The newest refused pod creation on a workload controller (its FailedCreate Events, e.g. a
// ResourceQuota's "exceeded quota"), for app/admission/admission-waits.ts. One list call, filtered by the
// API server on the owner's UID and the reason; a refusal older than maxAgeMs is history (the quota
// may have been raised since), not a reason to wait.
import type { CoreV1Api, CoreV1Event } from '@kubernetes/client-node';
import type { CreateRefusals, OwnerRef } from '../app/admission/ports.js';
import type { Clock } from '../core/types.js';

export type EventListApi = Pick<CoreV1Api, 'listNamespacedEvent'>;

const timeOf = (e: CoreV1Event): number =>
  new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();

export class ApiCreateRefusals implements CreateRefusals {
  readonly #api: EventListApi;
  readonly #clock: Clock;
  readonly #maxAgeMs: number;

  constructor(api: EventListApi, clock: Clock, maxAgeMs = 600_000) {
    this.#api = api;
    this.#clock = clock;
    this.#maxAgeMs = maxAgeMs;
  }

  async latest(owner: OwnerRef): Promise<string | undefined> {
    const list = await this.#api.listNamespacedEvent({
      namespace: owner.namespace,
      fieldSelector: `involvedObject.uid=${owner.uid},reason=FailedCreate`,
    });
    const newest = [...list.items].sort((a, b) => timeOf(b) - timeOf(a))[0];
    if (newest === undefined || this.#clock.now() - timeOf(newest) > this.#maxAgeMs) return undefined;
    return newest.message;
  }
}
