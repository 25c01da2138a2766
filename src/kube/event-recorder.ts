// Kubernetes Events on pods (core/v1, source component "phalanx"), so `kubectl describe pod` shows
// why a pod waits. Repeats of the same event within the window bump `count` on the existing Event
// instead of creating new ones, at most one write per key per interval; failures are only logged.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import type { EventRecorder, PodRef } from '../app/ports.js';
import type { Clock } from '../core/types.js';
import { describeError } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';

export type EventApi = Pick<CoreV1Api, 'createNamespacedEvent' | 'patchNamespacedEvent'>;

export interface EventRecorderOptions {
  readonly api: EventApi;
  readonly clock: Clock;
  readonly logger: KubeLogger;
  /** This replica, written as reportingInstance. */
  readonly instance: string;
  /** Same event again within this window updates the existing Event. Default 10 min. */
  readonly aggregateWindowMs?: number;
  /** At most one API write per distinct event in this interval; repeats are counted meanwhile. Default 5 s. */
  readonly minWriteIntervalMs?: number;
  /** Distinct events remembered (LRU). Default 4096. */
  readonly maxKeys?: number;
  /** Writes in flight beyond this are dropped (and logged at debug). Default 64. */
  readonly maxInFlight?: number;
}

interface Seen {
  name: string | undefined;
  namespace: string;
  count: number;
  /** Count already written to the API. */
  written: number;
  lastWriteMs: number;
  firstMs: number;
  writing: boolean;
}

export const EVENT_COMPONENT = 'phalanx';

export class KubeEventRecorder implements EventRecorder {
  readonly #o: EventRecorderOptions;
  readonly #seen: LRUCache<string, Seen>;
  #inFlight = 0;
  #dropped = 0;
  #seq = 0;

  constructor(options: EventRecorderOptions) {
    this.#o = options;
    this.#seen = new LRUCache<string, Seen>({
      max: options.maxKeys ?? 4096,
      ttl: options.aggregateWindowMs ?? 600_000,
      ttlAutopurge: false,
    });
  }

  /** Events not written because too many writes were in flight. */
  dropped(): number {
    return this.#dropped;
  }

  podEvent(pod: PodRef, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = `${pod.uid}|${type}|${reason}|${message}`;
    const now = this.#o.clock.now();
    const seen = this.#seen.get(key);
    if (seen === undefined) {
      const fresh: Seen = {
        name: undefined,
        namespace: pod.namespace,
        count: 1,
        written: 0,
        lastWriteMs: now,
        firstMs: now,
        writing: true,
      };
      this.#seen.set(key, fresh);
      this.#write(fresh, () => this.#create(fresh, pod, type, reason, message));
      return;
    }
    seen.count += 1;
    if (seen.writing || seen.name === undefined) return;
    if (now - seen.lastWriteMs < (this.#o.minWriteIntervalMs ?? 5_000)) return;
    seen.writing = true;
    seen.lastWriteMs = now;
    this.#write(seen, () => this.#bump(seen));
  }

  #write(seen: Seen, op: () => Promise<void>): void {
    if (this.#inFlight >= (this.#o.maxInFlight ?? 64)) {
      seen.writing = false;
      this.#dropped += 1;
      this.#o.logger.debug({ inFlight: this.#inFlight }, 'event dropped: too many writes in flight');
      return;
    }
    this.#inFlight += 1;
    op()
      .catch((err: unknown) => this.#o.logger.warn({ err: describeError(err) }, 'could not record event'))
      .finally(() => {
        this.#inFlight -= 1;
        seen.writing = false;
      });
  }

  async #create(seen: Seen, pod: PodRef, type: string, reason: string, message: string): Promise<void> {
    const now = this.#o.clock.now();
    // client-go's naming: <object>.<timestamp in hex>, unique per event and sortable.
    const name = `${pod.name}.${(BigInt(now) * 1_000_000n + BigInt(this.#seq++ % 1_000_000)).toString(16)}`;
    const body: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: pod.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod.name,
        namespace: pod.namespace,
        uid: pod.uid,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      count: seen.count,
      firstTimestamp: new Date(seen.firstMs),
      lastTimestamp: new Date(now),
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: this.#o.instance,
    };
    await this.#o.api.createNamespacedEvent({ namespace: pod.namespace, body });
    seen.name = name;
    seen.written = body.count ?? 1;
  }

  async #bump(seen: Seen): Promise<void> {
    if (seen.name === undefined || seen.count === seen.written) return;
    const count = seen.count;
    const body = { count, lastTimestamp: new Date(this.#o.clock.now()).toISOString() };
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await this.#o.api.patchNamespacedEvent({ name: seen.name, namespace: seen.namespace, body }, merge);
    seen.written = count;
  }
}
