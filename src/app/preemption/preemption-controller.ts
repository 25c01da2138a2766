// Phalanx's own preemption, for the pods kube-scheduler cannot preempt for: a gang (its preemption
// works member by member) and a GPU share (phalanx.dev/gpu-milli is ignoredByScheduler, so its dry
// run never sees a shortage). Told by the filter / gang planner / preempt verb that such a pod fits
// nowhere, the leader decides once (core/preemption/preemption-plan.ts: the cheapest domain, gangs
// whole, lower priorities only, PodDisruptionBudgets respected), holds the freed capacity for the
// preemptor (preemption-holds.ts), then evicts through the Eviction API, naming each side to the
// other in Events. Requests are queued and decided one at a time; a preemptor with a live hold, or
// decided for within `retryMs`, is not decided for again, so scheduler retries are idempotent.
import type { PodShape } from '../../core/kube-shapes.js';
import type { PreemptionDecision } from '../../core/preemption/preemption-plan.js';
import type { Clock, PodDemand } from '../../core/types.js';
import type { EventRecorder, PodRef } from '../ports.js';
import type { DisruptionBudgetSource, EvictionResult, PodNominator, PreemptionEvictor } from './ports.js';
import { holdKey, type PreemptionHolds } from './preemption-holds.js';
import {
  PreemptionView,
  type Preemptors,
  type PreemptionKind,
  type PreemptionRequest,
  type PreemptionViewDeps,
} from './preemption-view.js';
import { gangKeyOf, isFinished } from './victim-candidates.js';

export type { PreemptionKind } from './preemption-view.js';

/** Outcome of one decision; `evicted` is the only one with side effects. */
export type DecisionResult = 'evicted' | 'fits' | 'no-victims' | 'refused' | 'not-eligible' | 'failed';

export interface PreemptionObserver {
  decided(kind: PreemptionKind, result: DecisionResult): void;
  evicted(kind: 'gang-member' | 'pod', count: number): void;
  /** Seconds from the decision to the preemptor bound (every member, for a gang). */
  bound(kind: PreemptionKind, seconds: number): void;
}

/** The view's needs (cluster state, pods, gangs, node rules, levels, victim policy) and the writers. */
export interface PreemptionControllerDeps extends PreemptionViewDeps {
  readonly holds: PreemptionHolds;
  readonly budgets: DisruptionBudgetSource;
  readonly evictor: PreemptionEvictor;
  readonly nominator?: PodNominator;
  readonly events?: EventRecorder;
  readonly clock: Clock;
  /** How long freed capacity is held for the preemptor. */
  readonly holdTtlMs: number;
  /** A preemptor is not decided for again sooner than this (unless its hold ended). */
  readonly retryMs: number;
  /** Leader with a synced view: only then are decisions made. */
  readonly active: () => boolean;
  readonly observer?: PreemptionObserver;
  readonly onError?: (err: unknown, preemptor: string) => void;
}

/** The DisruptionTarget reason on victims and the Event reasons on both sides. */
export const PREEMPTION_REASON = 'PreemptionByPhalanx';
export const PREEMPTING_EVENT = 'Preempting';
export const PREEMPTED_EVENT = 'PreemptedByPhalanx';
export const NOT_PREEMPTING_EVENT = 'NotPreempting';

/** Pending requests kept at most; beyond, new ones are dropped (the scheduler asks again). */
const MAX_QUEUE = 1_000;
/** Attempts per request when the Eviction API refuses the first victim of the chosen domain. */
const MAX_ATTEMPTS = 3;
/** Victims named in one Event message. */
const NAMED_IN_EVENT = 8;
/** Eviction requests in flight at once (a 64-member gang's victims go in a few round trips). */
const EVICTIONS_IN_FLIGHT = 16;

export class PreemptionController {
  readonly #deps: PreemptionControllerDeps;
  readonly #view: PreemptionView;
  readonly #queue = new Map<string, PreemptionRequest>();
  /** Key → when it was last decided for, pruned with the TTL. */
  readonly #lastDecided = new Map<string, number>();
  /**
   * Gangs that asked while the informer had not shown every member yet (the scheduler can see a new
   * member first): asked again when a member of theirs changes, forgotten after the hold TTL.
   */
  readonly #incomplete = new Map<string, { readonly request: PreemptionRequest; readonly since: number }>();
  /** Hold key → the pods nominated for it, so a hold that ends unbound takes the nominations back. */
  readonly #nominated = new Map<string, readonly PodRef[]>();
  #draining: Promise<void> | undefined;

  constructor(deps: PreemptionControllerDeps) {
    this.#deps = deps;
    this.#view = new PreemptionView(deps);
  }

  /**
   * A gang, or a single pod asking for a GPU share, fits nowhere: preempt for it if allowed.
   * `offered`: the nodes kube-scheduler offered a single pod (those its own rules allow).
   */
  request(pod: PodShape, demand: PodDemand, offered?: readonly string[]): void {
    const uid = pod.metadata?.uid;
    if (uid === undefined || !this.#deps.active()) return;
    const gang = demand.gang;
    const share = demand.gpu.kind === 'fraction' || demand.gpu.kind === 'memory';
    if (gang === undefined && !share) return;
    const key = holdKey(gang?.key, uid);
    if (this.#deps.holds.get(key) !== undefined || this.#queue.has(key)) return;
    const last = this.#lastDecided.get(key);
    if (last !== undefined && this.#deps.clock.now() - last < this.#deps.retryMs) return;
    if (this.#queue.size >= MAX_QUEUE) return;
    this.#queue.set(key, {
      key,
      kind: gang === undefined ? 'share' : 'gang',
      pod,
      demand,
      ...(gang === undefined && offered !== undefined ? { offered: [...offered] } : {}),
    });
    this.#drain();
  }

  /** Resolves once every queued request was decided (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /** Feed every pod update: a bound preemptor ends its hold. */
  podChanged(pod: PodShape): void {
    const gangKey = gangKeyOf(pod);
    // A gang that asked before this replica saw all its members is decided for once they are here.
    const waiting = gangKey === undefined ? undefined : this.#incomplete.get(gangKey);
    if (gangKey !== undefined && waiting !== undefined) {
      this.#incomplete.delete(gangKey);
      if (!this.#queue.has(gangKey)) this.#queue.set(gangKey, { ...waiting.request, pod });
      this.#drain();
    }
    const bound = (pod.spec?.nodeName ?? '') !== '';
    if (!bound) return;
    const key = holdKey(gangKey, pod.metadata?.uid);
    const hold = this.#deps.holds.get(key);
    if (hold === undefined) return;
    if (gangKey !== undefined) {
      const members = this.#deps.gangs.members(gangKey).filter((m) => !isFinished(m));
      if (!members.every((m) => (m.spec?.nodeName ?? '') !== '')) return;
    }
    this.#deps.holds.finish(key);
    this.#nominated.delete(key);
    this.#deps.observer?.bound(
      gangKey === undefined ? 'share' : 'gang',
      (this.#deps.clock.now() - hold.decidedAt) / 1000,
    );
  }

  /**
   * Feed every pod deletion: a deleted preemptor (every member, for a gang) ends its hold and is
   * forgotten, so a gang created again under the same name (a Job or LeaderWorkerSet group restarted)
   * is decided for at once: the scheduler may not ask again for minutes once its pods are unschedulable.
   */
  podDeleted(pod: PodShape): void {
    const gangKey = gangKeyOf(pod);
    if (gangKey === undefined) {
      this.#forget(holdKey(undefined, pod.metadata?.uid));
      return;
    }
    const left = this.#deps.gangs
      .members(gangKey)
      .filter((m) => m.metadata?.uid !== pod.metadata?.uid && !isFinished(m));
    if (left.length === 0) this.#forget(gangKey);
  }

  #forget(key: string): void {
    this.#deps.holds.finish(key);
    this.#nominated.delete(key);
    this.#lastDecided.delete(key);
    this.#incomplete.delete(key);
  }

  /** Ends holds whose TTL passed and forgets old decisions. */
  sweep(): void {
    const now = this.#deps.clock.now();
    for (const spec of this.#deps.holds.expire(now)) this.#takeBackNominations(spec.key);
    // Holds dropped otherwise (leadership lost, replaced) leave nothing to take back from here.
    for (const key of this.#nominated.keys()) {
      if (this.#deps.holds.get(key) === undefined) this.#nominated.delete(key);
    }
    for (const [key, { since }] of this.#incomplete) {
      if (now - since >= this.#deps.holdTtlMs) this.#incomplete.delete(key);
    }
    for (const [key, at] of this.#lastDecided) {
      if (now - at >= Math.max(this.#deps.retryMs, this.#deps.holdTtlMs)) this.#lastDecided.delete(key);
    }
  }

  #drain(): void {
    if (this.#draining !== undefined) return;
    this.#draining = (async () => {
      // Decide after the verb that asked has answered.
      await Promise.resolve();
      for (let next = this.#take(); next !== undefined; next = this.#take()) {
        try {
          await this.#decide(next);
        } catch (err) {
          this.#deps.observer?.decided(next.kind, 'failed');
          this.#deps.onError?.(err, next.key);
        }
      }
    })().finally(() => {
      this.#draining = undefined;
    });
  }

  #take(): PreemptionRequest | undefined {
    const first = this.#queue.values().next();
    if (first.done === true) return undefined;
    this.#queue.delete(first.value.key);
    return first.value;
  }

  async #decide(request: PreemptionRequest): Promise<void> {
    const deps = this.#deps;
    if (!deps.active()) return;
    this.#lastDecided.set(request.key, deps.clock.now());
    const preemptors = this.#view.preemptors(request);
    if ('incomplete' in preemptors) {
      // Decided for once the missing members show up (podChanged), whoever asks next.
      this.#lastDecided.delete(request.key);
      if (this.#incomplete.size < MAX_QUEUE)
        this.#incomplete.set(request.key, { request, since: deps.clock.now() });
      return;
    }
    if ('reason' in preemptors) {
      this.#tell(preemptors.pods, 'Normal', NOT_PREEMPTING_EVENT, `not preempting: ${preemptors.reason}`);
      deps.observer?.decided(request.kind, 'not-eligible');
      return;
    }
    // One list per decision, shared by its attempts (kube/disruption-budgets.ts says why no watch).
    const budgets = await deps.budgets.budgets();
    const excluded = new Set<string>();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      if (!deps.active()) return;
      const { decision, pods } = this.#view.plan(request, preemptors, budgets, excluded);
      if (decision.kind === 'fits') {
        deps.observer?.decided(request.kind, 'fits');
        return;
      }
      if (decision.kind === 'none') {
        const refused = decision.reason.includes('PodDisruptionBudget');
        deps.observer?.decided(request.kind, refused ? 'refused' : 'no-victims');
        this.#tell(preemptors.pods, 'Normal', NOT_PREEMPTING_EVENT, `not preempting: ${decision.reason}`);
        return;
      }
      if (await this.#carryOut(request, preemptors, decision, pods)) {
        deps.observer?.decided(request.kind, 'evicted');
        return;
      }
      excluded.add(decision.domain);
    }
    deps.observer?.decided(request.kind, 'refused');
  }

  /**
   * Holds the freed capacity, then evicts. False when the Eviction API refused the first victim (a
   * budget changed since it was read): nothing was evicted, another domain may be tried.
   */
  async #carryOut(
    request: PreemptionRequest,
    preemptors: Preemptors,
    decision: Extract<PreemptionDecision, { kind: 'victims' }>,
    pods: ReadonlyMap<string, PodShape>,
  ): Promise<boolean> {
    const deps = this.#deps;
    const now = deps.clock.now();
    const uid = request.pod.metadata?.uid ?? '';
    deps.holds.add({
      key: request.key,
      ...(request.demand.gang ? { gangKey: request.demand.gang.key } : { podUid: uid }),
      assignments: decision.assignments,
      expiresAt: now + deps.holdTtlMs,
      decidedAt: now,
      domain: decision.domain,
    });
    const victims = decision.uids.flatMap((v) => {
      const pod = pods.get(v);
      const ref = pod === undefined ? undefined : refOf(pod);
      return pod === undefined || ref === undefined ? [] : [{ pod, ref }];
    });
    const who = request.demand.gang
      ? `gang ${request.demand.gang.key}`
      : `${request.pod.metadata?.namespace ?? 'default'}/${request.pod.metadata?.name ?? uid}`;
    const priority = preemptors.priority;
    const where = `${decision.level} ${decision.domain}`;
    const message = `preempted by Phalanx for ${who} (priority ${priority}) in ${where}`;
    let evicted = 0;
    let gangMembers = 0;
    const evictOne = async (victim: (typeof victims)[number]): Promise<EvictionResult | undefined> => {
      if (!deps.active()) return undefined;
      const result = await deps.evictor.evict(victim.ref, PREEMPTION_REASON, message);
      if (result === 'refused') {
        deps.events?.podEvent(
          victim.ref,
          'Warning',
          PREEMPTED_EVENT,
          `eviction refused by a PodDisruptionBudget: ${message}`,
        );
      } else if (result === 'evicted') {
        evicted += 1;
        if (gangKeyOf(victim.pod) !== undefined) gangMembers += 1;
        deps.events?.podEvent(victim.ref, 'Warning', PREEMPTED_EVENT, message);
      }
      return result;
    };
    // The first alone: a budget that changed since it was read refuses it, and nothing is lost by
    // trying another domain. Then the rest, a few at a time.
    const [first, ...rest] = victims;
    if (first !== undefined && (await evictOne(first)) === 'refused') {
      deps.holds.finish(request.key);
      return false;
    }
    await this.#nominate(request, preemptors, decision);
    await inBatches(rest, EVICTIONS_IN_FLIGHT, evictOne);
    if (evicted - gangMembers > 0) deps.observer?.evicted('pod', evicted - gangMembers);
    if (gangMembers > 0) deps.observer?.evicted('gang-member', gangMembers);
    const named = victims.slice(0, NAMED_IN_EVENT).map((v) => `${v.ref.namespace}/${v.ref.name}`);
    const more = victims.length > NAMED_IN_EVENT ? ` and ${victims.length - NAMED_IN_EVENT} more` : '';
    const units = decision.units.map((u) => (u.members[0]?.gangKey !== undefined ? `gang ${u.key}` : 'pod'));
    const gangs = units.filter((u) => u !== 'pod');
    this.#tell(
      preemptors.pods,
      'Normal',
      PREEMPTING_EVENT,
      `evicting ${victims.length} pod(s) in ${where}: ${named.join(', ')}${more}${gangs.length > 0 ? ` (${gangs.join(', ')}, whole)` : ''}; the freed capacity is held for ${Math.round(deps.holdTtlMs / 1000)} s`,
    );
    return true;
  }

  /**
   * The scheduler tries a nominated node first and keeps its room for the pod: each pending pod gets
   * the node its planned slot lands on (a gang's assignments are index-aligned with its pending
   * members). Only once the first victim was evicted, so a domain given up leaves no nomination.
   */
  async #nominate(
    request: PreemptionRequest,
    preemptors: Preemptors,
    decision: Extract<PreemptionDecision, { kind: 'victims' }>,
  ): Promise<void> {
    const nominator = this.#deps.nominator;
    if (nominator === undefined) return;
    const planned = preemptors.pending.flatMap((pod, i) => {
      const ref = refOf(pod);
      const node = decision.assignments[i]?.node;
      return ref === undefined || node === undefined ? [] : [{ ref, node }];
    });
    this.#nominated.set(
      request.key,
      planned.map((p) => p.ref),
    );
    await inBatches(planned, EVICTIONS_IN_FLIGHT, ({ ref, node }) =>
      nominator.nominate(ref, node).catch((err: unknown) => this.#deps.onError?.(err, request.key)),
    );
  }

  /** The hold ended without the preemptor bound: its nominations must not keep room on those nodes. */
  #takeBackNominations(key: string): void {
    const refs = this.#nominated.get(key);
    this.#nominated.delete(key);
    const nominator = this.#deps.nominator;
    if (refs === undefined || nominator === undefined || !this.#deps.active()) return;
    for (const ref of refs) nominator.clear(ref).catch((err: unknown) => this.#deps.onError?.(err, key));
  }

  #tell(pods: readonly PodShape[], type: 'Normal' | 'Warning', reason: string, message: string): void {
    for (const pod of pods) {
      const ref = refOf(pod);
      if (ref !== undefined) this.#deps.events?.podEvent(ref, type, reason, message);
    }
  }
}

function refOf(pod: PodShape): PodRef | undefined {
  const { namespace, name, uid } = pod.metadata ?? {};
  return name === undefined || uid === undefined
    ? undefined
    : { namespace: namespace ?? 'default', name, uid };
}

/** Runs `work` over the items, at most `width` at once. */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}
