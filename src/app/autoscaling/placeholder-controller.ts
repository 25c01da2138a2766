// The leader's placeholder controller: every `reconcileMs` (driven by serve.ts's housekeeping tick,
// time from the injected clock) it derives the waiting demand from the pods the informer shows
// (core/autoscaling/waiting-demand.ts), plans placeholders (placeholder-plan.ts) and creates, hands
// off or deletes them (placeholder-reconcile.ts). Idempotent: names are a function of the demand, so
// a pass repeated, or a restarted leader, converges on the same pods; its state is rebuilt from the
// informer (placeholders carry their unit label), except the hand-off grace, whose loss costs at most
// one extra placeholder round. With a ProvisioningRequestPort (config autoscaling.gangs:
// provisioningRequest) and the API served, gangs get requests (core/autoscaling/provisioning-requests.ts)
// instead of placeholder pods. A follower, or a leader not synced yet, writes nothing.
import { observePlaceholder } from '../../core/autoscaling/observe-placeholder.js';
import {
  planPlaceholders,
  smallestDeviceMemory,
  type PlaceholderKind,
} from '../../core/autoscaling/placeholder-plan.js';
import {
  reconcilePlaceholders,
  type ObservedPlaceholder,
  type PlaceholderAction,
} from '../../core/autoscaling/placeholder-reconcile.js';
import { canonicalJson } from '../../core/autoscaling/placeholder-names.js';
import {
  parseCandidate,
  waitingDemand,
  type CandidatePod,
  type NodeConstraints,
  type ParsedCandidate,
} from '../../core/autoscaling/waiting-demand.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { Req } from '../../core/names.js';
import type { Clock } from '../../core/types.js';
import { requestsFor } from '../../core/autoscaling/provisioning-requests.js';
import { CreatesInFlight } from './creates-in-flight.js';
import { GangRequests } from './gang-requests.js';
import type {
  AutoscalingObserver,
  AutoscalingSnapshot,
  NodeSource,
  PlaceholderPodWriter,
  ProvisioningRequestPort,
} from './ports.js';

export interface PlaceholderSettings {
  /** Namespace of the placeholder pods. */
  readonly namespace: string;
  /** Phalanx's scheduler name: the pods whose demand counts. */
  readonly schedulerName: string;
  readonly levels: readonly string[];
  readonly pendingForMs: number;
  readonly handoffGraceMs: number;
  readonly reconcileMs: number;
  readonly maxPlaceholders: number;
  /** How long a gang's placeholders may stay half placed before they are retried outside that domain. */
  readonly gangStallMs: number;
}

export interface PlaceholderControllerDeps extends PlaceholderSettings {
  readonly pods: PlaceholderPodWriter;
  /** Gangs get ProvisioningRequests instead of placeholder pods while this API is served. */
  readonly requests?: ProvisioningRequestPort;
  readonly nodes: NodeSource;
  readonly clock: Clock;
  /** True while this replica may write (leader with margin) and its view is synced. */
  readonly active: () => boolean;
  readonly observer?: AutoscalingObserver;
  readonly onAction?: (action: string, detail: Record<string, unknown>) => void;
  readonly onError?: (action: string, err: unknown, detail: Record<string, unknown>) => void;
}

/** Domains one gang unit avoids at most (the oldest are forgotten first). */
const MAX_AVOIDED_DOMAINS = 32;

export class PlaceholderController {
  readonly #deps: PlaceholderControllerDeps;
  /** Pods of Phalanx's scheduler that may be demand: pending ones and bound gang members. */
  readonly #candidates = new Map<string, CandidatePod>();
  readonly #observed = new Map<string, ObservedPlaceholder>();
  /** Each pod object is parsed once: the informer replaces the object on every change. */
  readonly #parsed = new WeakMap<CandidatePod, ParsedCandidate | null>();
  readonly #creating = new CreatesInFlight();
  readonly #deleting = new Set<string>();
  readonly #handedOff = new Map<string, number>();
  #partialSince: ReadonlyMap<string, number> = new Map();
  /** Gang unit id → domains its placeholders got stuck in (memory only: a restart retries them once). */
  readonly #avoid = new Map<string, string[]>();
  #lastRun = -Infinity;
  #running: Promise<PlaceholderAction[]> | undefined;
  readonly #requests: GangRequests | undefined;

  constructor(deps: PlaceholderControllerDeps) {
    this.#deps = deps;
    this.#requests =
      deps.requests === undefined
        ? undefined
        : new GangRequests({
            port: deps.requests,
            retryMs: deps.handoffGraceMs,
            active: deps.active,
            ...(deps.onAction ? { onAction: deps.onAction } : {}),
            ...(deps.onError ? { onError: deps.onError } : {}),
          });
  }

  /** Informer: a pod was added or changed (any pod). */
  podChanged(pod: PodShape): void {
    const uid = pod.metadata?.uid;
    if (uid === undefined) return;
    const placeholder = observePlaceholder(pod, this.#deps.namespace);
    if (placeholder !== undefined) {
      this.#observed.set(uid, placeholder);
      this.#creating.settled(placeholder.name);
      return;
    }
    if (this.#isCandidate(pod)) this.#candidates.set(uid, pod);
    else this.#candidates.delete(uid);
  }

  podDeleted(pod: PodShape): void {
    const uid = pod.metadata?.uid;
    if (uid === undefined) return;
    this.#candidates.delete(uid);
    this.#observed.delete(uid);
    this.#deleting.delete(uid);
  }

  /** Housekeeping: reconciles when `reconcileMs` have passed since the last pass. */
  tick(): void {
    if (this.#running !== undefined || this.#deps.clock.now() - this.#lastRun < this.#deps.reconcileMs)
      return;
    void this.reconcile();
  }

  /** One pass (concurrent calls share it). Returns the actions it sent. */
  reconcile(): Promise<PlaceholderAction[]> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #isCandidate(pod: PodShape): boolean {
    if (pod.spec?.schedulerName !== this.#deps.schedulerName) return false;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return false;
    const bound = (pod.spec.nodeName ?? '') !== '';
    // Bound pods matter only as gang members (completeness, the domain they chose).
    return !bound || pod.metadata?.annotations?.[Req.podGroup] !== undefined;
  }

  async #pass(): Promise<PlaceholderAction[]> {
    const now = this.#deps.clock.now();
    this.#lastRun = now;
    if (!this.#deps.active()) return [];
    for (const [unit, until] of this.#handedOff) if (until <= now) this.#handedOff.delete(unit);

    const nodes = this.#deps.nodes;
    const demand = waitingDemand(this.#candidates.values(), {
      now,
      pendingForMs: this.#deps.pendingForMs,
      schedulerName: this.#deps.schedulerName,
      levels: this.#deps.levels,
      nodeLabels: (name) => nodes.labels(name),
      parse: (pod) => {
        let parsed = this.#parsed.get(pod);
        if (parsed === undefined)
          this.#parsed.set(pod, (parsed = parseCandidate(pod, this.#deps.levels) ?? null));
        return parsed ?? undefined;
      },
    });
    const memoryByConstraints = new Map<string, number | undefined>();
    const plan = planPlaceholders(demand.units, {
      maxPlaceholders: this.#deps.maxPlaceholders,
      deviceMemoryBytes: (c: NodeConstraints) => {
        const key = canonicalJson(c);
        if (!memoryByConstraints.has(key)) memoryByConstraints.set(key, smallestDeviceMemory(c, nodes.all()));
        return memoryByConstraints.get(key);
      },
      avoidDomains: (unit) => this.#avoid.get(unit) ?? [],
    });
    const planned = new Set(plan.specs.map((s) => s.unit));
    for (const unit of this.#avoid.keys()) if (!planned.has(unit)) this.#avoid.delete(unit);
    const requests = this.#requests;
    const byRequest = requests !== undefined && (await requests.served());
    const podSpecs = byRequest ? plan.specs.filter((s) => s.kind !== 'gang') : plan.specs;
    const observed = [...this.#observed.values()].map((o) =>
      this.#deleting.has(o.uid) ? { ...o, deleting: true } : o,
    );
    const reconciled = reconcilePlaceholders({
      desired: podSpecs,
      observed,
      creating: this.#creating.pending(now),
      handedOff: this.#handedOff,
      now,
      handoffGraceMs: this.#deps.handoffGraceMs,
      partialSince: this.#partialSince,
      stallMs: this.#deps.gangStallMs,
      domainOf: (node, key) => nodes.labels(node)?.[key],
    });
    this.#partialSince = reconciled.partialSince;
    for (const [unit, domains] of reconciled.stalled) {
      const avoided = [...new Set([...(this.#avoid.get(unit) ?? []), ...domains])];
      this.#avoid.set(unit, avoided.slice(-MAX_AVOIDED_DOMAINS));
      this.#deps.onAction?.('stalled half placed', { unit, avoid: avoided });
    }
    const { actions, handoffs } = reconciled;
    for (const [unit, until] of handoffs) {
      this.#handedOff.set(unit, until);
      this.#deps.onAction?.('handed off', { unit });
    }
    this.#deps.observer?.reconciled(snapshot(observed, plan.gpus, plan.unitsOverLimit));
    for (const action of actions) {
      if (!this.#deps.active()) break;
      await this.#apply(action, now);
    }
    if (byRequest) await requests.reconcile(requestsFor(plan.specs), this.#candidates.values(), now);
    return actions;
  }

  async #apply(action: PlaceholderAction, now: number): Promise<void> {
    const observer = this.#deps.observer;
    if (action.kind === 'create') {
      const detail = { name: action.spec.name, gpus: action.spec.gpus, for: action.spec.demand };
      this.#creating.sent(action.spec.name, now);
      try {
        await this.#deps.pods.create(action.spec);
        observer?.wrote('create', 'ok');
        this.#deps.onAction?.('created', detail);
      } catch (err) {
        this.#creating.settled(action.spec.name);
        observer?.wrote('create', 'failed');
        this.#deps.onError?.('create', err, detail);
      }
      return;
    }
    const detail = { name: action.name, reason: action.reason };
    this.#deleting.add(action.uid);
    try {
      await this.#deps.pods.delete(action.name, action.uid);
      observer?.wrote('delete', 'ok');
      this.#deps.onAction?.('deleted', detail);
    } catch (err) {
      this.#deleting.delete(action.uid);
      observer?.wrote('delete', 'failed');
      this.#deps.onError?.('delete', err, detail);
    }
  }
}

function snapshot(
  observed: readonly ObservedPlaceholder[],
  demandGpus: Readonly<Record<PlaceholderKind, number>>,
  unitsOverLimit: number,
): AutoscalingSnapshot {
  const placeholders = { gang: { pending: 0, scheduled: 0 }, shares: { pending: 0, scheduled: 0 } };
  for (const o of observed) {
    if (o.deleting || o.finished || o.kind === undefined) continue;
    placeholders[o.kind][o.node !== undefined ? 'scheduled' : 'pending'] += 1;
  }
  return { placeholders, demandGpus, unitsOverLimit };
}
