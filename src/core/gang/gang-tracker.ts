// Per-gang state: the plan's slots and which member holds each. A slot is open (reserved under a
// synthetic holder until a member takes it), claimed (reserved under the member's UID after its
// filter), waiting (the member is at the bind barrier) or bound. A gang is planned until its first
// member waits, binding until every slot is bound, then done. Pure bookkeeping: the coordinator
// performs the matching ledger operations and owns timers and promises.
import type { Assignment } from '../types.js';

export type SlotPhase = 'open' | 'claimed' | 'waiting' | 'bound';

export interface MemberRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface GangSlot {
  readonly index: number;
  node: string;
  assignment: Assignment;
  /** demandShape of the member this slot was planned (or refitted) for. */
  shape: string;
  phase: SlotPhase;
  member?: MemberRef;
}

export interface GangRecord {
  readonly key: string;
  readonly name: string;
  readonly level: string;
  readonly domain: string;
  readonly plannedAt: number;
  /** Last time a member was filtered or reached bind; stale plans are released from it. */
  lastActivity: number;
  /** When the first member reached the bind barrier. */
  firstArrival?: number;
  /** A member was bound ahead of the others (leader-first): its peers' slots are held longer. */
  anchored: boolean;
  readonly slots: GangSlot[];
}

export interface NewGang {
  readonly key: string;
  readonly name: string;
  readonly level: string;
  readonly domain: string;
  readonly slots: readonly { node: string; assignment: Assignment; shape: string }[];
}

/** The ledger holder of an unclaimed slot. Pod UIDs never contain '#'. */
export function openSlotHolder(gangKey: string, index: number): string {
  return `gang:${gangKey}#${index}`;
}

/** Who holds the slot's reservation in the ledger. */
export function slotHolder(gang: GangRecord, slot: GangSlot): string {
  return slot.member?.uid ?? openSlotHolder(gang.key, slot.index);
}

export class GangTracker {
  private readonly gangs = new Map<string, GangRecord>();
  private readonly byUid = new Map<string, string>();

  add(gang: NewGang, now: number): GangRecord {
    if (this.gangs.has(gang.key)) throw new Error(`gang ${gang.key} already has a plan`);
    const record: GangRecord = {
      key: gang.key,
      name: gang.name,
      level: gang.level,
      domain: gang.domain,
      plannedAt: now,
      lastActivity: now,
      anchored: false,
      slots: gang.slots.map((s, index) => ({ index, ...s, phase: 'open' as const })),
    };
    this.gangs.set(gang.key, record);
    return record;
  }

  get(key: string): GangRecord | undefined {
    return this.gangs.get(key);
  }

  all(): GangRecord[] {
    return [...this.gangs.values()];
  }

  /** The gang and slot a pod holds, if any. */
  findMember(uid: string): { gang: GangRecord; slot: GangSlot } | undefined {
    const key = this.byUid.get(uid);
    const gang = key === undefined ? undefined : this.gangs.get(key);
    const slot = gang?.slots.find((s) => s.member?.uid === uid);
    return gang && slot ? { gang, slot } : undefined;
  }

  slotOf(gang: GangRecord, uid: string): GangSlot | undefined {
    return gang.slots.find((s) => s.member?.uid === uid);
  }

  /** An open slot planned for this shape, else any open slot (to be refitted), else none. */
  /** An open slot of the shape, preferably on one of the `offered` nodes; else any open slot. */
  openSlotFor(gang: GangRecord, shape: string, offered?: ReadonlySet<string>): GangSlot | undefined {
    const open = gang.slots.filter((s) => s.phase === 'open');
    const same = open.filter((s) => s.shape === shape);
    return (offered && same.find((s) => offered.has(s.node))) ?? same[0] ?? open[0];
  }

  claim(gang: GangRecord, slot: GangSlot, member: MemberRef): void {
    if (slot.phase !== 'open') throw new Error(`slot ${slot.index} of gang ${gang.key} is ${slot.phase}`);
    slot.phase = 'claimed';
    slot.member = member;
    this.byUid.set(member.uid, gang.key);
  }

  /** The member reached bind. True when every slot is now waiting or bound: the barrier opens. */
  arrive(gang: GangRecord, slot: GangSlot, now: number): boolean {
    if (slot.phase === 'claimed') slot.phase = 'waiting';
    gang.firstArrival ??= now;
    gang.lastActivity = now;
    return this.complete(gang);
  }

  complete(gang: GangRecord): boolean {
    return gang.slots.every((s) => s.phase === 'waiting' || s.phase === 'bound');
  }

  waiting(gang: GangRecord): GangSlot[] {
    return gang.slots.filter((s) => s.phase === 'waiting');
  }

  markBound(gang: GangRecord, slot: GangSlot): void {
    slot.phase = 'bound';
    if (gang.slots.every((s) => s.phase === 'bound')) this.remove(gang.key);
  }

  /** The member let go of its slot (bind failed, pod deleted): it is open again for a successor. */
  reopen(gang: GangRecord, slot: GangSlot): void {
    if (slot.member) this.byUid.delete(slot.member.uid);
    delete slot.member;
    slot.phase = 'open';
    if (!gang.slots.some((s) => s.phase === 'waiting')) delete gang.firstArrival;
  }

  /** Forgets the gang; returns the slots that were not bound (their reservations must be released). */
  remove(key: string): GangSlot[] {
    const gang = this.gangs.get(key);
    if (gang === undefined) return [];
    this.gangs.delete(key);
    for (const slot of gang.slots) if (slot.member) this.byUid.delete(slot.member.uid);
    return gang.slots.filter((s) => s.phase !== 'bound');
  }

  /** Gangs nobody is waiting for whose last activity is older than their hold time. */
  stale(now: number, holdMs: number, anchoredHoldMs: number): GangRecord[] {
    return this.all().filter((g) => {
      if (g.slots.some((s) => s.phase === 'waiting')) return false;
      return g.lastActivity + (g.anchored ? anchoredHoldMs : holdMs) <= now;
    });
  }
}
