// The newest refused pod creation on a workload controller (its FailedCreate Events, e.g. a
// ResourceQuota's "exceeded quota"), for app/admission-waits.ts. One list call, filtered by the
// API server on the owner's UID and the reason.
import type { CoreV1Api, CoreV1Event } from '@kubernetes/client-node';
import type { CreateRefusals, OwnerRef } from '../app/admission-waits.js';

export type EventListApi = Pick<CoreV1Api, 'listNamespacedEvent'>;

const timeOf = (e: CoreV1Event): number =>
  new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();

export class ApiCreateRefusals implements CreateRefusals {
  readonly #api: EventListApi;

  constructor(api: EventListApi) {
    this.#api = api;
  }

  async latest(owner: OwnerRef): Promise<string | undefined> {
    const list = await this.#api.listNamespacedEvent({
      namespace: owner.namespace,
      fieldSelector: `involvedObject.uid=${owner.uid},reason=FailedCreate`,
    });
    const newest = [...list.items].sort((a, b) => timeOf(b) - timeOf(a))[0];
    return newest?.message;
  }
}
