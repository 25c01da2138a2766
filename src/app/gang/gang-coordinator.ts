// Gang members' filter and bind (GangVerbs). The first member's filter plans the whole gang
// (core/gang/gang-planner) and reserves every slot; each member's filter then gets only its planned
// node. Bind is a barrier: a member's bind waits, at most bindBarrierMs from the first arrival (keep
// it under the scheduler's httpTimeout), until every member is there, then all bind together. On
// timeout, a deleted member or a lost reservation the plan is released and every waiting member gets
// an error, so none binds; the scheduler requeues them and the next filter plans afresh.
//
// Startup rules (LeaderWorkerSet creates workers after its leader):
// - Any gang: members reaching bind wait for each other; members bound earlier count as arrived.
// - LWS leader whose workers do not exist yet (startupPolicy LeaderReady, where workers appear only
//   once the leader is Ready; or LeaderCreated when the leader is simply faster): the leader binds
//   at once, alone, and its workers' slots stay reserved next to it for anchoredHoldMs. The workers
//   then claim those slots and pass the barrier among themselves. If workers already exist
//   (LeaderCreated), the leader waits at the barrier like everyone else.
// - With commit `eager`, every member binds as such a leader does, as soon as it reaches bind: the
//   plan still reserves the whole gang in one domain, but binding is no longer all-or-nothing; a gang
//   left half-bound is unwound by binding/half-bound-gangs.ts.
// - A plan no member touches for reservationTtlMs (anchoredHoldMs once a member is bound) is
//   released, so competing gangs never hold each other's capacity forever.
import type { DeviceChooser } from '../../core/gang/domain-packing.js';
import { planGang } from '../../core/gang/gang-planner.js';
import { describeExclusions, describeScope } from '../../core/gang/member-fit.js';
import { DemandError } from '../../core/errors.js';
import { GangTracker, type GangRecord, type GangSlot } from '../../core/gang/gang-tracker.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { isLeaderWorkerSetLeader } from '../../core/gang/workload-gangs.js';
import type { Assignment, GangRef, PodDemand } from '../../core/types.js';
import { timerSleep } from '../binding/bind-retry.js';
import { GangBarrier } from './gang-barrier.js';
import { GangExplainer } from './gang-explainer.js';
import { gangRoster, liveMembers, memberRef } from './gang-membership.js';
import { GangSlots } from './gang-slots.js';
import { bestCandidate } from '../placement/placement.js';
import { MemberConstraints } from './member-constraints.js';
import type { GangCoordinatorDeps, GangVerbs, ReleaseCause } from './gang-types.js';
import type { BindRequest, FilterOutcome } from '../verbs.js';

export type { GangCoordinatorDeps, GangObserver, GangVerbs, ReleaseCause } from './gang-types.js';

/** `misfit`: the member fits no slot of the plan (planned from another member's template). */
type Claimed = { gang: GangRecord; slot: GangSlot } | { reason: string; misfit?: true };

/** Metrics cause of the nodes a planned gang member is not going to. */
const GANG_PLANNED_ELSEWHERE = 'gang member planned on another node';

export class GangCoordinator implements GangVerbs {
  private readonly deps: GangCoordinatorDeps;
  private readonly tracker = new GangTracker();
  private readonly slots: GangSlots;
  private readonly barrier: GangBarrier;
  private readonly explainer: GangExplainer;
  private readonly constraints: MemberConstraints;
  private readonly anchoredHoldMs: number;

  constructor(deps: GangCoordinatorDeps) {
    this.deps = deps;
    this.slots = new GangSlots(deps.state);
    this.constraints = new MemberConstraints(deps.nodes, deps.clock, deps.reservationTtlMs);
    this.anchoredHoldMs = deps.anchoredHoldMs ?? 600_000;
    this.explainer = new GangExplainer({
      clock: deps.clock,
      intervalMs: deps.explainIntervalMs ?? 30_000,
      backoffMs: deps.replanBackoffMs ?? 1_000,
      ...(deps.events ? { events: deps.events } : {}),
    });
    this.barrier = new GangBarrier({
      tracker: this.tracker,
      slots: this.slots,
      pods: deps.pods,
      clock: deps.clock,
      barrierMs: deps.bindBarrierMs,
      binding: deps.binding,
      expiresAt: (gang) => this.expiresAt(gang),
      onReleased: (gang, cause) => this.released(gang, cause),
      onBound: (gang, commitMs) => this.bound(gang, commitMs),
      bindTimeoutMs: deps.bindTimeoutMs ?? 30_000,
      unwind: {
        sleep: deps.sleep ?? timerSleep,
        ...(deps.evictor ? { evictor: deps.evictor } : {}),
        ...(deps.events ? { events: deps.events } : {}),
        ...(deps.fence ? { fence: deps.fence } : {}),
        ...(deps.onUnwindGiveUp ? { onGiveUp: deps.onUnwindGiveUp } : {}),
      },
    });
  }

  filter(pod: PodShape, demand: PodDemand, nodeNames: readonly string[]): FilterOutcome {
    this.sweep();
    if (demand.gang !== undefined) this.constraints.offered(demand.gang.key, pod, nodeNames);
    const placed = this.placeMember(pod, demand, nodeNames, []);
    if ('reason' in placed) {
      const victims = demand.gang === undefined ? 0 : (this.deps.held?.awaitingVictims(demand.gang.key) ?? 0);
      // Victims still terminating: each one's deletion is a cluster event that requeues a pod the
      // extender found unschedulable, at once when the queue is idle. An error would instead put the
      // member in kube-scheduler's error backoff (1 s doubling to 10 s, never cut short on 1.33).
      if (victims > 0) {
        return unresolvable(
          nodeNames,
          `${placed.reason}; waiting for the pods preempted for it to be gone (${victims} slot(s))`,
        );
      }
      return placed.retry ? waiting(nodeNames, placed.reason) : unresolvable(nodeNames, placed.reason);
    }
    // The planned node is feasible, so kube-scheduler reads no per-node reasons: none are built.
    return {
      feasible: [placed.slot.node],
      failed: {},
      unresolvable: {},
      rejected: new Map([[GANG_PLANNED_ELSEWHERE, nodeNames.length - 1]]),
    };
  }

  async bind(request: BindRequest, pod: PodShape, demand: PodDemand): Promise<string> {
    this.sweep();
    let found = this.tracker.findMember(request.uid);
    if (found === undefined) {
      // Planned by an earlier process, or the plan was released since filter: plan around this node.
      const placed = this.placeMember(pod, demand, [request.node], [request.node]);
      if ('reason' in placed) return `cannot bind gang member to ${request.node}: ${placed.reason}`;
      found = placed;
    }
    const { gang: record, slot } = found;
    if (slot.node !== request.node)
      return `gang ${record.name} is planned on ${slot.node}, not ${request.node}`;
    const commit = demand.gang?.commit ?? this.deps.commit ?? 'barrier';
    if (commit === 'eager' || this.leaderGoesFirst(pod, demand)) {
      return this.barrier.bindAhead(record, slot);
    }
    return this.barrier.arrive(record, slot);
  }

  /**
   * The member's slot on one of the `offered` nodes: its own, an open one of the gang's plan, or one
   * of a new plan (whose domain contains the `pinned` nodes). `retry` marks reasons that capacity
   * freed elsewhere may cure, so the scheduler retries soon instead of waiting for a cluster event.
   */
  private placeMember(
    pod: PodShape,
    demand: PodDemand,
    offered: readonly string[],
    pinned: readonly string[],
  ): { gang: GangRecord; slot: GangSlot } | { reason: string; retry: boolean } {
    const gang = demand.gang;
    if (gang === undefined) return { reason: 'the pod is not in a gang', retry: false };
    const claimed = this.slotFor(pod, demand, gang, pinned, offered);
    if ('reason' in claimed) return { reason: claimed.reason, retry: true };
    const { gang: record, slot } = claimed;
    record.lastActivity = this.deps.clock.now();
    this.slots.renew(record, this.expiresAt(record));
    if (offered.includes(slot.node)) return claimed;
    const fit = this.constraints.refitFit(record, slot, pod);
    const moved = this.slots.refit(record, slot, demand, slot.shape, this.expiresAt(record), {
      allowed: new Set(offered),
      choose: this.chooser(demand),
      ...(fit ? { fit } : {}),
    });
    if (moved) return claimed;
    return this.replanAround(pod, demand, record, slot, offered, pinned);
  }

  /**
   * The member's planned node was not offered and no other node of the plan takes it: plan the gang
   * again, now knowing what the scheduler offers this member's class — within a budget, so a gang
   * whose members cannot agree is explained instead of planned round and round.
   */
  private replanAround(
    pod: PodShape,
    demand: PodDemand,
    record: GangRecord,
    slot: GangSlot,
    offered: readonly string[],
    pinned: readonly string[],
  ): { gang: GangRecord; slot: GangSlot } | { reason: string; retry: boolean } {
    const planned = `gang ${record.name} is planned on ${slot.node}, which was not offered`;
    if (!this.constraints.enabled) return { reason: planned, retry: false };
    const notOffered = `${planned} (${this.constraints.whyRefused(pod, slot.node)})`;
    const self = memberRef(pod);
    if (offered.length < 2 || !this.constraints.spendReplan(record.key)) {
      return { reason: notOffered, retry: false };
    }
    this.deps.events?.podEvent(self, 'Warning', 'GangReplanned', `${notOffered}; planning the gang again`);
    this.barrier.release(
      record,
      'not-offered',
      `${slot.node} was not offered to ${self.namespace}/${self.name}`,
    );
    if (this.tracker.get(record.key) === record) return { reason: notOffered, retry: true };
    const gang = demand.gang;
    if (gang === undefined) return { reason: notOffered, retry: false };
    const claimed = this.slotFor(pod, demand, gang, pinned, offered);
    if ('reason' in claimed) return { reason: claimed.reason, retry: true };
    if (offered.includes(claimed.slot.node)) return claimed;
    return { reason: notOffered, retry: false };
  }

  /** A member pod was deleted: a waiting gang is released at once, otherwise its slot reopens. */
  memberDeleted(uid: string): void {
    const found = this.tracker.findMember(uid);
    if (found === undefined) return;
    const { gang, slot } = found;
    const who = slot.member ? `${slot.member.namespace}/${slot.member.name}` : uid;
    if (this.tracker.waiting(gang).length > 0) {
      this.barrier.release(gang, 'member-deleted', `member ${who} was deleted`);
      return;
    }
    const kept = this.slots.takeBack(gang, slot, this.expiresAt(gang));
    this.tracker.reopen(gang, slot);
    if (!kept) this.barrier.release(gang, 'capacity-lost', `the slot of deleted member ${who} was lost`);
  }

  /** Releases plans nobody renewed in time. Called on every verb; callers may also run it on a timer. */
  sweep(): void {
    const now = this.deps.clock.now();
    this.explainer.prune();
    this.constraints.prune();
    for (const gang of this.tracker.stale(now, this.deps.reservationTtlMs, this.anchoredHoldMs)) {
      this.barrier.release(gang, 'expired', 'the plan expired before every member reached bind');
    }
  }

  /**
   * Plans each given gang that has no plan yet, from one of its pending members, before any member
   * asks. After a restart or a change of leader, members that waited at the old leader's barrier
   * retry on kube-scheduler's error backoff; until the first is filtered again, other pods could take
   * the domain the whole gang needs. Members still claim their slots at their own filter; a plan none
   * claims expires after reservationTtlMs. Returns how many gangs were planned.
   */
  planAhead(pending: Iterable<{ readonly pod: PodShape; readonly demand: PodDemand }>): number {
    let planned = 0;
    for (const { pod, demand } of pending) {
      const gang = demand.gang;
      if (gang === undefined || this.tracker.get(gang.key) !== undefined) continue;
      if (!('reason' in this.plan(pod, demand, gang, []))) planned += 1;
    }
    return planned;
  }

  /** Releases every plan (this replica stopped leading); binds in flight finish, fenced. */
  abandonPlans(reason: string): void {
    for (const gang of this.tracker.all()) this.barrier.release(gang, 'leadership-lost', reason);
  }

  /** Gangs with a plan, for status pages and tests. */
  plans(): readonly GangRecord[] {
    return this.tracker.all();
  }

  private slotFor(
    pod: PodShape,
    demand: PodDemand,
    gang: GangRef,
    pinned: readonly string[],
    offered: readonly string[],
  ): Claimed {
    const self = memberRef(pod);
    const existing = this.tracker.get(gang.key);
    if (existing !== undefined) {
      const own = this.tracker.slotOf(existing, self.uid);
      if (own !== undefined) return { gang: existing, slot: own };
      const claimed = this.claim(existing, pod, demand, offered);
      if ('lost' in claimed) this.barrier.release(existing, 'capacity-lost', 'reserved capacity was lost');
      else if (!('misfit' in claimed)) return claimed;
      else if (existing.anchored || !this.constraints.spendReplan(gang.key)) return claimed;
      else {
        // The plan guessed this member from another's template and guessed wrong: plan again from
        // the members as they are, so a gang whose members disagree is explained now, not after the
        // bind barrier of those already waiting runs out.
        this.barrier.release(
          existing,
          'member-mismatch',
          `member ${self.namespace}/${self.name} fits no slot`,
        );
        if (this.tracker.get(gang.key) === existing) return claimed;
      }
    }
    const planned = this.plan(pod, demand, gang, pinned);
    if ('reason' in planned) return planned;
    const claimed = this.claim(planned, pod, demand, offered);
    return 'lost' in claimed ? { reason: `gang ${gang.name}: reserved capacity was lost` } : claimed;
  }

  /**
   * An open slot for the member, on a node offered to it where one is: members nominated to the
   * nodes of a preemption hold are each offered only their own node (the scheduler counts the other
   * nominations there), so a member handed another's node could never bind.
   */
  private claim(
    record: GangRecord,
    pod: PodShape,
    demand: PodDemand,
    offered: readonly string[],
  ): Claimed | { lost: true } {
    const self = memberRef(pod);
    const shape = this.constraints.slotShape(demand, pod);
    const slot =
      this.tracker.openSlotFor(record, shape, this.constraints.nodeSet(offered)) ??
      this.slotOfVanishedMember(record);
    if (slot === undefined) {
      return { reason: `gang ${record.name} already has every slot taken; is group-size too small?` };
    }
    const expiresAt = this.expiresAt(record);
    if (slot.shape !== shape) {
      const fit = this.constraints.refitFit(record, slot, pod);
      const options = { choose: this.chooser(demand), ...(fit ? { fit } : {}) };
      if (!this.slots.refit(record, slot, demand, shape, expiresAt, options)) {
        return { reason: `gang ${record.name}: no room for this member in ${record.domain}`, misfit: true };
      }
    }
    if (!this.slots.handOver(record, slot, self, expiresAt)) return { lost: true };
    this.tracker.claim(record, slot, self);
    this.constraints.claimed(record.key, slot, pod);
    return { gang: record, slot };
  }

  private plan(
    pod: PodShape,
    demand: PodDemand,
    gang: GangRef,
    pinned: readonly string[],
  ): GangRecord | { reason: string } {
    // A preemption hold whose victims are all gone changed what fits: plan now, not after the backoff.
    const holdComplete = this.deps.held?.awaitingVictims(gang.key) === 0;
    const recent = holdComplete ? undefined : this.explainer.recentFailure(gang.key);
    if (recent !== undefined) return { reason: recent };
    const roster = gangRoster(this.deps.members, pod, demand, this.deps.levels);
    if (roster.missing > 0) {
      return { reason: `gang ${gang.name} waits for ${roster.missing} member(s) to be created` };
    }
    if (roster.toPlace.length === 0) {
      return { reason: `gang ${gang.name} already has ${gang.size} bound members; is group-size too small?` };
    }
    const pods = roster.toPlace.map((m) => m.pod);
    let fit;
    try {
      fit = this.constraints.planFit(gang.key, pods);
    } catch (err) {
      if (!(err instanceof DemandError)) throw err;
      return { reason: `gang ${gang.name}: invalid member request: ${err.message}` };
    }
    const scope = fit ? describeScope(pods) : undefined;
    const restoreHold = this.deps.held?.lend(gang.key);
    const result = planGang(this.deps.state, {
      name: gang.name,
      members: roster.toPlace.map((m) => m.demand),
      topology: demand.topology,
      anchorNodes: [...roster.anchors, ...pinned],
      choose: this.chooser(demand),
      ...(fit ? { fit } : {}),
      ...(scope ? { scope } : {}),
    });
    const now = this.deps.clock.now();
    if (!result.ok) {
      restoreHold?.();
      this.deps.noRoom?.(pod, demand);
      const excluded = fit ? describeExclusions(fit.exclusions()) : '';
      const reason = excluded ? `${result.reason} (excluded: ${excluded})` : result.reason;
      this.deps.observer?.planFailed();
      this.explainer.failed(gang, reason, [
        memberRef(pod),
        ...liveMembers(this.deps.members, gang).map(memberRef),
      ]);
      return { reason };
    }
    const expiresAt = now + this.deps.reservationTtlMs;
    const problem = this.slots.reserveAll(gang.key, result.assignments, expiresAt);
    if (problem !== undefined) {
      restoreHold?.();
      return { reason: `gang ${gang.name}: could not reserve the plan: ${problem}` };
    }
    this.explainer.planned(gang.key);
    this.deps.observer?.planMade(result.level);
    return this.tracker.add(
      {
        key: gang.key,
        name: gang.name,
        level: result.level,
        domain: result.domain,
        slots: result.assignments.map((assignment, i) => ({
          node: assignment.node,
          assignment,
          shape: this.constraints.slotShape(
            roster.toPlace[i]?.demand ?? demand,
            roster.toPlace[i]?.pod ?? pod,
          ),
        })),
      },
      now,
    );
  }

  /**
   * A claimed slot whose pod is gone from the member index (deleted, finished, or replaced under a
   * new UID) is reopened, so a replacement never waits for the plan to expire.
   */
  private slotOfVanishedMember(record: GangRecord): GangSlot | undefined {
    const live = new Set(
      liveMembers(this.deps.members, { key: record.key, name: record.name, size: record.slots.length }).map(
        (p) => p.metadata?.uid,
      ),
    );
    const vanished = record.slots.find((s) => s.phase === 'claimed' && s.member && !live.has(s.member.uid));
    if (vanished === undefined) return undefined;
    if (!this.slots.takeBack(record, vanished, this.expiresAt(record))) return undefined;
    this.tracker.reopen(record, vanished);
    return vanished;
  }

  /** An LWS leader with no worker created yet must not wait for them (see the startup rules). */
  private leaderGoesFirst(pod: PodShape, demand: PodDemand): boolean {
    const gang = demand.gang;
    if (gang === undefined || !isLeaderWorkerSetLeader(pod)) return false;
    const uid = pod.metadata?.uid;
    return liveMembers(this.deps.members, gang).every((p) => p.metadata?.uid === uid);
  }

  private chooser(demand: PodDemand): DeviceChooser {
    const policy = this.deps.policyFor(demand);
    return (node, candidates, d) =>
      bestCandidate(policy, node, candidates, d)?.assignment ?? (candidates[0] as Assignment);
  }

  private expiresAt(gang: GangRecord): number {
    return this.deps.clock.now() + (gang.anchored ? this.anchoredHoldMs : this.deps.reservationTtlMs);
  }

  private released(gang: GangRecord, cause: ReleaseCause): void {
    this.deps.observer?.planReleased(cause);
    this.explainer.planned(gang.key);
  }

  private bound(gang: GangRecord, commitMs?: number): void {
    const waited = (this.deps.clock.now() - this.explainer.firstSeen(gang.key, gang.plannedAt)) / 1000;
    this.explainer.forget(gang.key);
    this.constraints.forget(gang.key);
    this.deps.observer?.gangBound(gang.level, waited, commitMs === undefined ? undefined : commitMs / 1000);
    for (const slot of gang.slots) {
      if (slot.member === undefined) continue;
      this.deps.events?.podEvent(
        slot.member,
        'Normal',
        'GangPlaced',
        `group ${gang.name} placed together in ${gang.level} ${gang.domain}`,
      );
    }
  }
}

/**
 * A gang that cannot be placed now answers with an error as well as the per-node reason: a filter
 * that only rejects nodes leaves the pod waiting for a cluster event kube-scheduler links to the
 * extender (none, for capacity freed elsewhere), up to its 5-minute flush; an error requeues the pod
 * with the scheduler's 1-10 s backoff, so the gang is planned again soon after room appears.
 */
function waiting(nodes: readonly string[], reason: string): FilterOutcome {
  return { ...unresolvable(nodes, reason), error: reason };
}

function unresolvable(nodes: readonly string[], reason: string): FilterOutcome {
  return { feasible: [], failed: {}, unresolvable: Object.fromEntries(nodes.map((n) => [n, reason])) };
}
