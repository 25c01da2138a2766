// ProvisioningRequest mode for gangs, the leader's side: one request per waiting gang
// (core/autoscaling/provisioning-requests.ts), created, replaced when it failed or expired, and deleted
// when the gang is bound or gone; the gang's waiting pods are annotated as its consumers (also after
// a restart: requests are listed from the API every pass, so nothing lives only in memory but the
// retry backoff). Driven by PlaceholderController's pass, which decides which gangs wait.
import {
  ConsumeAnnotation,
  reconcileRequests,
  type RequestAction,
  type RequestSpec,
} from '../../core/autoscaling/provisioning-requests.js';
import type { CandidatePod } from '../../core/autoscaling/waiting-demand.js';
import { CreatesInFlight } from './creates-in-flight.js';
import type { ProvisioningRequestPort } from './ports.js';

export interface GangRequestsDeps {
  readonly port: ProvisioningRequestPort;
  /** How long a gang whose request failed waits for a new one. */
  readonly retryMs: number;
  readonly active: () => boolean;
  readonly onAction?: (action: string, detail: Record<string, unknown>) => void;
  readonly onError?: (action: string, err: unknown, detail: Record<string, unknown>) => void;
}

export class GangRequests {
  readonly #deps: GangRequestsDeps;
  readonly #requestsCreating = new CreatesInFlight();
  #requestRetryAt: ReadonlyMap<string, number> = new Map();

  constructor(deps: GangRequestsDeps) {
    this.#deps = deps;
  }

  /** Whether the API is served; a failed discovery counts as not (gangs keep placeholders). */
  async served(): Promise<boolean> {
    try {
      return await this.#deps.port.served();
    } catch (err) {
      this.#deps.onError?.('discover ProvisioningRequest API', err, {});
      return false;
    }
  }

  /** One pass: creates, replaces or deletes requests, and marks the waiting pods as consumers. */
  async reconcile(
    desired: readonly RequestSpec[],
    candidates: Iterable<CandidatePod>,
    now: number,
  ): Promise<void> {
    const port = this.#deps.port;
    let observed;
    try {
      observed = await port.list();
    } catch (err) {
      this.#deps.onError?.('list ProvisioningRequests', err, {});
      return;
    }
    for (const o of observed) this.#requestsCreating.settled(o.name);
    const { actions, retryAt } = reconcileRequests({
      desired,
      observed,
      creating: this.#requestsCreating.pending(now),
      retryAt: this.#requestRetryAt,
      now,
      retryMs: this.#deps.retryMs,
    });
    this.#requestRetryAt = retryAt;
    const byRef = new Map<string, CandidatePod>();
    for (const pod of candidates)
      byRef.set(`${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`, pod);
    for (const action of actions) {
      if (!this.#deps.active()) return;
      await this.#applyRequest(port, action, now, byRef);
    }
    // Every live request's waiting pods consume it (also pods of a request made before a restart).
    const live = new Set(observed.filter((o) => !o.deleting && o.state !== 'failed').map((o) => o.name));
    for (const request of desired) {
      if (!live.has(request.name)) continue;
      for (const ref of request.forPods) await this.#consume(port, byRef.get(ref), ref, request.name);
    }
  }

  async #applyRequest(
    port: ProvisioningRequestPort,
    action: RequestAction,
    now: number,
    byRef: ReadonlyMap<string, CandidatePod>,
  ): Promise<void> {
    if (action.kind === 'delete') {
      const detail = { request: action.name, reason: action.reason };
      try {
        await port.delete(action.name, action.uid, action.unit);
        this.#deps.onAction?.('request deleted', detail);
      } catch (err) {
        this.#deps.onError?.('delete request', err, detail);
      }
      return;
    }
    const request = action.request;
    const detail = { request: request.name, for: request.demand };
    this.#requestsCreating.sent(request.name, now);
    try {
      await port.create(request);
      this.#deps.onAction?.('request created', detail);
    } catch (err) {
      this.#requestsCreating.settled(request.name);
      this.#deps.onError?.('create request', err, detail);
      return;
    }
    for (const ref of request.forPods) await this.#consume(port, byRef.get(ref), ref, request.name);
  }

  /** Marks a waiting pod as the request's consumer unless it is gone or marked already. */
  async #consume(
    port: ProvisioningRequestPort,
    pod: CandidatePod | undefined,
    ref: string,
    request: string,
  ): Promise<void> {
    if (pod === undefined || pod.metadata?.annotations?.[ConsumeAnnotation.request] === request) return;
    try {
      await port.consume(ref, request);
    } catch (err) {
      this.#deps.onError?.('mark pod as consuming request', err, { pod: ref, request });
    }
  }
}
