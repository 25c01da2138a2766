// The extender verbs for single pods, and the seam where gang members are handed to the gang
// coordinator. Filter and prioritize only read state; bind is the one step with side effects:
// reserve, then the BindingWriter writes the Binding and commits, or releases on any failure.
import type { ClusterState } from '../../core/cluster-state.js';
import { deepFreeze } from '../../core/deep-freeze.js';
import { DemandError } from '../../core/errors.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { scaleToExtenderScores } from '../../core/policies/normalize.js';
import type { PlacementPolicy } from '../../core/policies/policy.js';
import { DEFAULT_MAX_GROUP_SIZE } from '../../core/demand-annotations.js';
import {
  DEFAULT_MAX_GPUS_PER_POD,
  isManaged,
  parsePodDemand,
  type DemandLimits,
} from '../../core/pod-demand.js';
import type { Assignment, Clock, PodDemand } from '../../core/types.js';
import { RejectCause, type NodeFit } from '../placement/node-fit.js';
import { PlacementCache, demandShapeKey } from '../placement/placement.js';
import { noteSublist } from '../placement/list-positions.js';
import { NodeListMemo } from '../placement/node-list-memo.js';
import type { BindingWriter } from '../binding/binding-writer.js';
import { ALL_FEASIBLE, bestTier, type FilterAnswer } from './best-tier.js';
import type { SentPods } from './sent-pods.js';
import {
  causeAt,
  countCauses,
  feasibleNames,
  withVerdicts,
  type RejectedPositions,
} from './rejected-positions.js';
import type { GangVerbs } from '../gang/gang-types.js';
import type { PodReader, PodRef } from '../ports.js';
import type { BindRequest, FilterOutcome, HostScore, SchedulingVerbs } from '../verbs.js';

export interface SchedulingServiceDeps {
  readonly state: ClusterState;
  readonly policyFor: (demand: PodDemand) => PlacementPolicy;
  readonly pods: PodReader;
  readonly binding: BindingWriter;
  readonly clock: Clock;
  readonly reservationTtlMs: number;
  readonly levels: readonly string[];
  /** Gates every verb: not synced or not leader → answer with an error, the scheduler retries. */
  readonly notServingReason: () => string | undefined;
  readonly gangs?: GangVerbs;
  /**
   * Bounds on gang sizes and GPU counts (the `limits` settings). A pod past them (one that slipped
   * past admission) is answered "invalid request" naming the field, before anything is sized by it.
   * Default: the settings' defaults.
   */
  readonly limits?: DemandLimits;
  /**
   * Told when a pod fits on none of the offered nodes (app/preemption/preemption-controller.ts
   * preempts for GPU shares, which kube-scheduler's preemption never sees short).
   */
  readonly noRoom?: (pod: PodShape, demand: PodDemand, offered: readonly string[]) => void;
  /** All feasible nodes (default) or only Phalanx's best tier of them (see best-tier.ts). */
  readonly filterAnswer?: FilterAnswer;
  /** Keeps each filtered pod for its bind, which may come before the informer has it. */
  readonly sentPods?: SentPods;
}

const DEFAULT_LIMITS: DemandLimits = {
  maxGroupSize: DEFAULT_MAX_GROUP_SIZE,
  maxGpusPerPod: DEFAULT_MAX_GPUS_PER_POD,
};

/** The gang coordinator's answer with its rejections counted by a fixed cause (its reasons name gangs). */
function withGangCauses(outcome: FilterOutcome): FilterOutcome {
  if (outcome.rejected !== undefined || outcome.error !== undefined) return outcome;
  const rejected = new Map<string, number>();
  const failed = Object.keys(outcome.failed).length;
  const unresolvable = Object.keys(outcome.unresolvable).length;
  if (failed > 0) rejected.set(RejectCause.gangWaiting, failed);
  if (unresolvable > 0) rejected.set(RejectCause.gangUnplaceable, unresolvable);
  return { ...outcome, rejected };
}

/** How many pod UIDs observeOnce remembers; far more than are ever pending at once. */
const OBSERVED_MEMORY = 100_000;

export class SchedulingService implements SchedulingVerbs {
  private readonly deps: SchedulingServiceDeps;
  readonly placement: PlacementCache;
  /** Filter outcomes and prioritize scores over the last node list, per demand shape (see NodeListMemo). */
  private readonly filterMemo: NodeListMemo<FilterOutcome>;
  private readonly prioritizeMemo: NodeListMemo<HostScore[]>;
  /**
   * Demands of frozen pods: the extender hands a pod's filter and prioritize requests the same frozen
   * pod, which cannot have changed in between. Frozen too, as they are shared.
   */
  private readonly frozenPodDemands = new WeakMap<PodShape, PodDemand>();
  /** The policy's raw scores behind each prioritize answer, aligned with its list (for a patch). */
  private readonly rawScores = new WeakMap<readonly HostScore[], number[]>();
  /** Per filter outcome with feasible nodes, the cause of each node it rejected (see refreshed). */
  private readonly rejectedNodes = new WeakMap<FilterOutcome, RejectedPositions>();
  /** Pod UIDs already shown to the policy, oldest first (a Set keeps insertion order). */
  private readonly observed = new Set<string>();

  constructor(deps: SchedulingServiceDeps) {
    this.deps = deps;
    this.placement = new PlacementCache(deps.state);
    this.filterMemo = new NodeListMemo(this.placement);
    this.prioritizeMemo = new NodeListMemo(this.placement);
  }

  /** Learning policies see each pod's demand once, at its first filter (retries do not skew them). */
  private observeOnce(pod: PodShape, demand: PodDemand): void {
    const uid = pod.metadata?.uid;
    const policy = this.deps.policyFor(demand);
    if (!uid || !policy.observe || this.observed.has(uid)) return;
    this.observed.add(uid);
    if (this.observed.size > OBSERVED_MEMORY) {
      const oldest = this.observed.values().next().value;
      if (oldest !== undefined) this.observed.delete(oldest);
    }
    policy.observeCapacity?.(this.deps.state.gpusByModel());
    policy.observe(demand);
  }

  /** The pod's demand as the verbs read it, within the configured limits; throws DemandError. */
  demandOf(pod: PodShape): PodDemand {
    const known = this.frozenPodDemands.get(pod);
    if (known !== undefined) return known;
    const demand = parsePodDemand(pod, { levels: this.deps.levels, ...(this.deps.limits ?? DEFAULT_LIMITS) });
    if (Object.isFrozen(pod)) this.frozenPodDemands.set(pod, deepFreeze(demand));
    return demand;
  }

  filter(pod: PodShape, nodeNames: readonly string[]): FilterOutcome {
    const notServing = this.deps.notServingReason();
    if (notServing) return { feasible: [], failed: {}, unresolvable: {}, error: notServing };
    this.deps.sentPods?.remember(pod);
    let demand: PodDemand;
    try {
      demand = this.demandOf(pod);
    } catch (err) {
      if (!(err instanceof DemandError)) throw err;
      const unresolvable = Object.fromEntries(nodeNames.map((n) => [n, `invalid request: ${err.message}`]));
      return {
        feasible: [],
        failed: {},
        unresolvable,
        rejected: new Map([[RejectCause.invalidRequest, nodeNames.length]]),
      };
    }
    // A gang member without GPUs still needs its place in the gang's plan (it reached the extender
    // because admission routed it here); any other pod without GPUs is not Phalanx's to place.
    if (demand.gang && this.deps.gangs) {
      if (isManaged(demand)) this.observeOnce(pod, demand);
      return withGangCauses(this.deps.gangs.filter(pod, demand, nodeNames));
    }
    if (!isManaged(demand)) return { feasible: [...nodeNames], failed: {}, unresolvable: {} };
    this.observeOnce(pod, demand);
    // Capacity a preemption freed and holds for this pod (a reservation under its UID): go there.
    const held = this.deps.state.holding(pod.metadata?.uid ?? '');
    if (held?.state === 'reserved' && nodeNames.includes(held.assignment.node))
      return { feasible: [held.assignment.node], failed: {}, unresolvable: {} };
    const shape = demandShapeKey(demand);
    const fits = this.placement.fitsFor(shape);
    const outcome = this.filterMemo.get(
      shape,
      fits,
      nodeNames,
      () => this.filterSingle(demand, shape, fits, nodeNames),
      // Patched over the list the previous outcome was computed on (the same names): a request list
      // parsed afresh has no slots or positions of its own yet, and the feasible list inherits them.
      (previous, changed, positionOf, listed) =>
        this.refreshed(previous, changed, positionOf, listed, demand, shape, fits),
    );
    if (outcome.feasible.length === 0) this.deps.noRoom?.(pod, demand, nodeNames);
    const answer = this.deps.filterAnswer ?? ALL_FEASIBLE;
    if (answer.mode === 'bestTier' && outcome.feasible.length > 1) {
      const scored = this.scoreManaged(demand, outcome.feasible);
      return { ...outcome, feasible: bestTier(scored, answer.bestTierMaxNodes) };
    }
    return outcome;
  }

  private filterSingle(
    demand: PodDemand,
    shape: string,
    fits: Map<string, NodeFit>,
    nodeNames: readonly string[],
  ): FilterOutcome {
    const feasible: string[] = [];
    const rejected = new Map<string, number>();
    const positions: number[] = [];
    const causes: string[] = [];
    const causeAtNode = this.placement.rejectionCauses(nodeNames, demand, shape, fits);
    for (let i = 0; i < nodeNames.length; i++) {
      const cause = causeAtNode[i];
      if (cause === undefined) feasible.push(nodeNames[i]!);
      else {
        rejected.set(cause, (rejected.get(cause) ?? 0) + 1);
        positions.push(i);
        causes.push(cause);
      }
    }
    if (feasible.length > 0) {
      // Frozen, so the extender keeps this very array as the list prioritize is expected to send,
      // whose slots are known from here.
      const outcome = { feasible: Object.freeze(feasible), failed: {}, unresolvable: {}, rejected };
      this.keepSublist(feasible, nodeNames, positions);
      this.rejectedNodes.set(outcome, { positions, causes });
      return outcome;
    }
    // No node fits: the reasons are what the pod's FailedScheduling event and preemption go by.
    const failed: Record<string, string> = {};
    const unresolvable: Record<string, string> = {};
    for (const name of nodeNames) {
      const fit = this.placement.fit(name, demand, shape, fits);
      if (fit.kind === 'unschedulable') failed[name] = fit.reason;
      else if (fit.kind === 'unresolvable') unresolvable[name] = fit.reason;
    }
    return { feasible, failed, unresolvable, rejected };
  }

  /**
   * `previous` brought up to date after a few nodes changed: the same outcome (and so the reply
   * already written) when each changed node still fits, or is rejected for the same cause, as after
   * most binds; else a new outcome patched at those nodes, the others not asked again. Undefined
   * (compute afresh) when no node would be feasible: then every node's reason is needed.
   */
  private refreshed(
    previous: FilterOutcome,
    changed: readonly string[],
    positionOf: (node: string) => number | undefined,
    nodeNames: readonly string[],
    demand: PodDemand,
    shape: string,
    fits: Map<string, NodeFit>,
  ): FilterOutcome | undefined {
    const rejectedAt = this.rejectedNodes.get(previous);
    if (rejectedAt === undefined) return undefined;
    const verdicts = new Map<number, string | undefined>();
    let moved = false;
    for (const node of changed) {
      const at = positionOf(node);
      if (at === undefined) continue;
      const fit = this.placement.fit(node, demand, shape, fits);
      const now = fit.kind === 'fits' ? undefined : fit.cause;
      if (now !== causeAt(rejectedAt, at)) moved = true;
      verdicts.set(at, now);
    }
    if (!moved) return previous;
    const patched = withVerdicts(rejectedAt, verdicts);
    if (patched.positions.length >= nodeNames.length) return undefined;
    const feasible = Object.freeze(feasibleNames(nodeNames, patched));
    this.keepSublist(feasible, nodeNames, patched.positions);
    const outcome = { feasible, failed: {}, unresolvable: {}, rejected: countCauses(patched) };
    this.rejectedNodes.set(outcome, patched);
    return outcome;
  }

  /**
   * `feasible` is `nodeNames` without the positions in `skipped`: its slots and positions are read
   * from those of `nodeNames` when prioritize asks about it next.
   */
  private keepSublist(
    feasible: readonly string[],
    nodeNames: readonly string[],
    skipped: readonly number[],
  ): void {
    this.placement.keepSublistSlots(feasible, nodeNames, skipped);
    noteSublist(feasible, nodeNames, skipped);
  }

  prioritize(pod: PodShape, nodeNames: readonly string[]): HostScore[] {
    const demand = this.managedDemandOf(pod);
    if (demand === undefined) return nodeNames.map((host) => ({ host, score: 0 }));
    return this.scoreManaged(demand, nodeNames);
  }

  /**
   * prioritize's answer for a single managed pod, computed ahead: it is memoized per node list, so
   * the prioritize request over the same list finds it. kube-scheduler skips prioritize when one node
   * is left, and asks nothing of a pod that is not Phalanx's: nothing is computed for those.
   */
  prioritizeAhead(pod: PodShape, nodeNames: readonly string[]): readonly HostScore[] | undefined {
    if (nodeNames.length < 2 || this.deps.notServingReason()) return undefined;
    const demand = this.managedDemandOf(pod);
    return demand === undefined ? undefined : this.scoreManaged(demand, nodeNames);
  }

  /** The pod's demand when Phalanx scores it; undefined for an unreadable demand or a pod without GPUs. */
  private managedDemandOf(pod: PodShape): PodDemand | undefined {
    let demand: PodDemand;
    try {
      demand = this.demandOf(pod);
    } catch {
      return undefined;
    }
    return isManaged(demand) ? demand : undefined;
  }

  /** Extender scores of a managed pod over `nodeNames`, memoized per list as prioritize answers. */
  private scoreManaged(demand: PodDemand, nodeNames: readonly string[]): HostScore[] {
    const policy = this.deps.policyFor(demand);
    const shape = demandShapeKey(demand);
    const table = this.placement.scoresFor(policy, shape);
    const fits = this.placement.fitsFor(shape);
    return this.prioritizeMemo.get(
      `${policy.name}:${shape}`,
      table,
      nodeNames,
      () => this.scaled(this.placement.scoreList(policy, nodeNames, demand, shape, table, fits), nodeNames),
      // After a few nodes changed, only theirs are scored again; the scale is taken over all anew.
      (previous, changed, positionOf) => {
        const raw = this.rawScores.get(previous)?.slice();
        if (raw === undefined) return undefined;
        for (const node of changed) {
          const at = positionOf(node);
          if (at !== undefined) raw[at] = this.placement.scoreOf(policy, node, demand, shape, table, fits);
        }
        return this.scaled(raw, nodeNames, previous);
      },
    );
  }

  /** Extender scores of `raw` (aligned with `nodeNames`), reusing `previous`'s entries that stay. */
  private scaled(raw: number[], nodeNames: readonly string[], previous?: readonly HostScore[]): HostScore[] {
    const scores = scaleToExtenderScores(raw);
    // Indexed (optimised while it runs), not a map callback: see scaleToExtenderScores.
    const out = new Array<HostScore>(nodeNames.length);
    for (let i = 0; i < nodeNames.length; i++) {
      const score = scores[i] ?? 0;
      const before = previous?.[i];
      out[i] = before?.score === score ? before : { host: nodeNames[i]!, score };
    }
    this.rawScores.set(out, raw);
    return out;
  }

  async bind(request: BindRequest): Promise<string> {
    const notServing = this.deps.notServingReason();
    if (notServing) return notServing;
    const { state } = this.deps;
    const held = state.holding(request.uid);
    if (held?.state === 'committed') {
      return held.assignment.node === request.node
        ? ''
        : `pod ${request.namespace}/${request.name} is already bound to ${held.assignment.node}`;
    }
    let pod: PodShape | undefined;
    try {
      pod = await this.deps.pods.getPod(request.namespace, request.name, request.uid);
    } catch (err) {
      // Nothing is held yet: an answer with the reason lets the scheduler retry the pod.
      return `cannot read pod ${request.namespace}/${request.name}: ${(err as Error).message}`;
    }
    if (!pod) return `pod ${request.namespace}/${request.name} (uid ${request.uid}) no longer exists`;
    let demand: PodDemand;
    try {
      demand = this.demandOf(pod);
    } catch (err) {
      if (err instanceof DemandError) return `invalid request: ${err.message}`;
      throw err;
    }
    if (demand.gang && this.deps.gangs) return this.deps.gangs.bind(request, pod, demand);
    return this.bindSingle(request, demand);
  }

  /** Chooses devices on the node the scheduler picked, reserves them synchronously (so the next
   * filter already sees them), then writes the decision and the Binding. */
  private async bindSingle(request: BindRequest, demand: PodDemand): Promise<string> {
    const { state } = this.deps;
    const ref: PodRef = { namespace: request.namespace, name: request.name, uid: request.uid };
    let assignment: Assignment | undefined;
    const held = state.holding(request.uid);
    if (held?.state === 'reserved' && held.assignment.node === request.node) assignment = held.assignment;
    else {
      if (held) state.release(request.uid);
      if (!isManaged(demand)) {
        return this.deps.binding.write(ref, request.node, undefined);
      }
      const fit = this.placement.fit(request.node, demand);
      if (fit.kind !== 'fits') return `cannot bind to ${request.node}: ${fit.reason}`;
      assignment = this.placement.best(this.deps.policyFor(demand), request.node, demand)?.assignment;
      if (!assignment) return `cannot bind to ${request.node}: no device set fits`;
      const reserved = state.reserve(
        request.uid,
        assignment,
        this.deps.clock.now() + this.deps.reservationTtlMs,
      );
      if (!reserved.ok) return `cannot bind to ${request.node}: ${reserved.reason}`;
    }
    return this.deps.binding.write(ref, request.node, assignment);
  }
}
