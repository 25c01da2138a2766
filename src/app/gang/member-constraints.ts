// What the gang coordinator knows about where each member may run, beyond GPUs: the nodes
// kube-scheduler offered each class of member (members stamped from one template share a class),
// the pods a plan was made for, the fit that combines them with the node rules (core/gang/member-fit),
// and a budget of re-plans so a gang whose planned node is refused is planned again, but never loops.
import { demandShape } from '../../core/gang/domain-packing.js';
import type { GangRecord, GangSlot } from '../../core/gang/gang-tracker.js';
import { GangMemberFit, constraintKey, type NodeLookup } from '../../core/gang/member-fit.js';
import { nodeEligibility } from '../../core/eligibility/node-eligibility.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { Resource } from '../../core/names.js';
import type { Clock, PodDemand } from '../../core/types.js';

/** Phalanx accounts these itself (the ledger): the host-resource check leaves them out. */
const GPU_RESOURCES: readonly string[] = [Resource.nvidiaGpu, Resource.gpuMilli];
/** At most this many re-plans of one gang because a planned node was not offered, per window. */
export const MAX_REPLANS = 3;

interface GangFacts {
  /** class → the nodes the scheduler last offered a member of that class (lists of 2+ nodes only). */
  readonly offered: Map<string, ReadonlySet<string>>;
  /** The pods the current plan's slots were made for, index-aligned with the slots. */
  pods: PodShape[];
  replans: number[];
  touched: number;
}

export class MemberConstraints {
  private readonly lookup: NodeLookup | undefined;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly gangs = new Map<string, GangFacts>();
  /** Node lists seen in offers → their Set; held only as long as the list itself. */
  private readonly offerSets = new WeakMap<readonly string[], ReadonlySet<string>>();

  /** Without a lookup (no node facts) every node with GPUs may take any member, as before. */
  constructor(lookup: NodeLookup | undefined, clock: Clock, windowMs: number) {
    this.lookup = lookup;
    this.clock = clock;
    this.windowMs = windowMs;
  }

  /** The slot key of a member: its GPU shape and, with node facts, its constraint class. */
  slotShape(demand: PodDemand, pod: PodShape): string {
    return this.lookup === undefined ? demandShape(demand) : `${demandShape(demand)}#${constraintKey(pod)}`;
  }

  /**
   * Records the scheduler's offer for the member's class. A one-node list is the scheduler trying a
   * nominated node first: it says nothing about the other nodes, so it is not recorded.
   */
  offered(gangKey: string, pod: PodShape, nodeNames: readonly string[]): void {
    if (this.lookup === undefined || nodeNames.length < 2) return;
    this.facts(gangKey).offered.set(constraintKey(pod), this.nodeSet(nodeNames));
  }

  /**
   * The offer as a Set, built once per list: the extender hands every member the same (frozen) list
   * object while the scheduler sends the same names, so 64 members do not build 64 Sets of them.
   */
  nodeSet(nodeNames: readonly string[]): ReadonlySet<string> {
    // Only a frozen list cannot change under the Set kept for it.
    if (!Object.isFrozen(nodeNames)) return new Set(nodeNames);
    let set = this.offerSets.get(nodeNames);
    if (set === undefined) this.offerSets.set(nodeNames, (set = new Set(nodeNames)));
    return set;
  }

  /** The fit for a new plan of `pods` (index-aligned with the plan's members). */
  planFit(gangKey: string, pods: readonly PodShape[]): GangMemberFit | undefined {
    if (this.lookup === undefined) return undefined;
    this.facts(gangKey).pods = [...pods];
    return new GangMemberFit({
      pods,
      lookup: this.lookup,
      offered: this.facts(gangKey).offered,
      ignoreResources: GPU_RESOURCES,
    });
  }

  /** The fit for moving one slot to `pod`, with every other slot of the plan where it is. */
  refitFit(gang: GangRecord, slot: GangSlot, pod: PodShape): GangMemberFit | undefined {
    if (this.lookup === undefined) return undefined;
    const facts = this.facts(gang.key);
    facts.pods[slot.index] = pod;
    const others = gang.slots.filter((s) => s.index !== slot.index);
    return new GangMemberFit({
      pods: [pod, ...others.map((s) => facts.pods[s.index] ?? pod)],
      lookup: this.lookup,
      offered: facts.offered,
      ignoreResources: GPU_RESOURCES,
      prePlaced: others.map((s, i) => ({ member: i + 1, node: s.node })),
    });
  }

  /** A member took a slot: the slot's pod is now the member's own. */
  claimed(gangKey: string, slot: GangSlot, pod: PodShape): void {
    const facts = this.gangs.get(gangKey);
    if (facts !== undefined) facts.pods[slot.index] = pod;
  }

  /** Spends one re-plan of the gang's budget; false when the budget of the window is spent. */
  spendReplan(gangKey: string): boolean {
    const now = this.clock.now();
    const facts = this.facts(gangKey);
    facts.replans = facts.replans.filter((at) => now - at < this.windowMs);
    if (facts.replans.length >= MAX_REPLANS) return false;
    facts.replans.push(now);
    return true;
  }

  /** Whether node facts are known: without them there is nothing to re-plan around. */
  get enabled(): boolean {
    return this.lookup !== undefined;
  }

  /** Why `node` may not take `pod` by the rules Phalanx evaluates, or what else it must be. */
  whyRefused(pod: PodShape, node: string): string {
    const shape = this.lookup?.node(node);
    if (this.lookup === undefined || shape === undefined) return 'the node is unknown';
    let verdict;
    try {
      verdict = nodeEligibility(pod, shape, this.lookup.usage(node), { ignoreResources: GPU_RESOURCES });
    } catch (err) {
      return `its request cannot be read: ${(err as Error).message}`;
    }
    return verdict.ok
      ? 'a scheduler constraint Phalanx does not evaluate, e.g. pod affinity to pods outside the gang'
      : verdict.reason;
  }

  forget(gangKey: string): void {
    this.gangs.delete(gangKey);
  }

  /** Drops what is known about gangs nobody filtered for a while. */
  prune(): void {
    const now = this.clock.now();
    for (const [key, facts] of this.gangs) if (now - facts.touched > this.windowMs) this.gangs.delete(key);
  }

  private facts(gangKey: string): GangFacts {
    let facts = this.gangs.get(gangKey);
    if (facts === undefined) {
      facts = { offered: new Map(), pods: [], replans: [], touched: 0 };
      this.gangs.set(gangKey, facts);
    }
    facts.touched = this.clock.now();
    return facts;
  }
}
