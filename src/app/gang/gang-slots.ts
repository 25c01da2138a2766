// Ledger operations for a gang plan's slots: reserve all or nothing, hand a slot from its synthetic
// holder to the member's UID, move a slot inside the plan's domain, keep reservations alive, release.
// Every reservation carries an expiry, so a plan nobody renews is returned even if this process
// forgets it (ClusterState.expire).
import type { ClusterState } from '../../core/cluster-state.js';
import { packMembers, type DeviceChooser, type MemberFit } from '../../core/gang/domain-packing.js';
import { CLUSTER_LEVEL } from '../../core/gang/gang-planner.js';
import {
  openSlotHolder,
  slotHolder,
  type GangRecord,
  type GangSlot,
  type MemberRef,
} from '../../core/gang/gang-tracker.js';
import type { Assignment, NodeGpuState, PodDemand } from '../../core/types.js';

export class GangSlots {
  private readonly state: ClusterState;

  constructor(state: ClusterState) {
    this.state = state;
  }

  /** Reserves every assignment under its open-slot holder, or none of them. */
  reserveAll(gangKey: string, assignments: readonly Assignment[], expiresAt: number): string | undefined {
    const done: string[] = [];
    for (const [index, assignment] of assignments.entries()) {
      const holder = openSlotHolder(gangKey, index);
      const result = this.state.reserve(holder, assignment, expiresAt);
      if (!result.ok) {
        for (const h of done) this.state.release(h);
        return result.reason;
      }
      done.push(holder);
    }
    return undefined;
  }

  /** Moves an open slot's reservation to the member. False when the capacity was lost meanwhile. */
  handOver(gang: GangRecord, slot: GangSlot, member: MemberRef, expiresAt: number): boolean {
    const from = openSlotHolder(gang.key, slot.index);
    if (this.state.holding(from) === undefined) return false;
    this.state.release(from);
    const stale = this.state.holding(member.uid);
    if (stale?.state === 'reserved') this.state.release(member.uid);
    if (this.state.reserve(member.uid, slot.assignment, expiresAt).ok) return true;
    this.state.reserve(from, slot.assignment, expiresAt);
    return false;
  }

  /** Gives a slot back to its open holder (member gone or bind failed). False when it no longer fits. */
  takeBack(gang: GangRecord, slot: GangSlot, expiresAt: number): boolean {
    if (slot.member) {
      const held = this.state.holding(slot.member.uid);
      if (held?.state === 'reserved') this.state.release(slot.member.uid);
    }
    return this.state.reserve(openSlotHolder(gang.key, slot.index), slot.assignment, expiresAt).ok;
  }

  /**
   * Re-places one slot for `demand` on another node of the plan's domain (optionally only among
   * `allowed` nodes). Keeps the old placement when nothing else fits.
   */
  refit(
    gang: GangRecord,
    slot: GangSlot,
    demand: PodDemand,
    shape: string,
    expiresAt: number,
    options: { allowed?: ReadonlySet<string>; choose?: DeviceChooser; fit?: MemberFit } = {},
  ): boolean {
    const holder = slotHolder(gang, slot);
    this.state.release(holder);
    const nodes = this.domainStates(gang, options.allowed);
    const packed = packMembers(nodes, [demand], {
      strictIslands: false,
      ...(options.choose ? { choose: options.choose } : {}),
      ...(options.fit ? { fit: options.fit } : {}),
    });
    const assignment = packed.assignments[0];
    if (assignment !== undefined && this.state.reserve(holder, assignment, expiresAt).ok) {
      slot.node = assignment.node;
      slot.assignment = assignment;
      slot.shape = shape;
      return true;
    }
    this.state.reserve(holder, slot.assignment, expiresAt);
    return false;
  }

  /** Moves the expiry of every unbound slot. */
  renew(gang: GangRecord, expiresAt: number): void {
    for (const slot of gang.slots) {
      if (slot.phase !== 'bound') this.state.reserve(slotHolder(gang, slot), slot.assignment, expiresAt);
    }
  }

  release(gang: GangRecord, slots: readonly GangSlot[]): void {
    for (const slot of slots) {
      const holder = slotHolder(gang, slot);
      if (this.state.holding(holder)?.state === 'reserved') this.state.release(holder);
    }
  }

  private domainStates(gang: GangRecord, allowed: ReadonlySet<string> | undefined): NodeGpuState[] {
    const names =
      gang.level === CLUSTER_LEVEL ? this.state.nodes() : this.state.graph.nodesIn(gang.level, gang.domain);
    const out: NodeGpuState[] = [];
    for (const name of names) {
      if (allowed !== undefined && !allowed.has(name)) continue;
      const node = this.state.nodeState(name);
      if (node !== undefined) out.push(node);
    }
    return out;
  }
}
