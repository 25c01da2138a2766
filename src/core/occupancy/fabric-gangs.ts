// Gangs and reservations as the map shows them: outlines of planned gangs (from the tracker, with
// each slot's phase) and of bound ones (from their members' pods and the level they recorded), the
// ledger's reservations with who holds them, and the names the map gives holders.
import { openSlotHolder, type GangRecord, type SlotPhase } from '../gang/gang-tracker.js';
import type { Holding } from '../ledger/gpu-ledger.js';
import { NODE_LEVEL } from '../names.js';
import {
  UNLABELLED,
  type FabricFigures,
  type GangMemberCell,
  type GangOutline,
  type HolderLookup,
  type HolderPod,
  type ReservationCell,
} from './occupancy-types.js';

/** What the outlines are built from (a part of the fabric's input). */
export interface GangInput {
  readonly holder: HolderLookup;
  readonly committed: readonly Holding[];
  readonly reserved: readonly Holding[];
  readonly plans: readonly GangRecord[];
  readonly now: number;
}

export interface SlotRef {
  readonly gang: GangRecord;
  readonly index: number;
  readonly phase: SlotPhase;
}

/** Every ledger holder a plan knows: open slots under their synthetic holder, others under the member. */
export function slotsByHolder(plans: readonly GangRecord[]): Map<string, SlotRef> {
  const byHolder = new Map<string, SlotRef>();
  for (const gang of plans) {
    for (const slot of gang.slots) {
      const holder = slot.member?.uid ?? openSlotHolder(gang.key, slot.index);
      byHolder.set(holder, { gang, index: slot.index, phase: slot.phase });
    }
  }
  return byHolder;
}

/** "namespace/name" for a known pod, "gang <key> slot <i>" for an unclaimed slot, else the UID. */
export function holderName(uid: string, pod: HolderPod | undefined, slot: SlotRef | undefined): string {
  if (pod) return `${pod.namespace}/${pod.name}`;
  return slot ? `gang ${slot.gang.key} slot ${slot.index}` : uid;
}

export function gangOutlines(
  input: GangInput,
  nodes: ReadonlyMap<string, FabricFigures>,
  labelsOf: (node: string) => Readonly<Record<string, string>>,
): GangOutline[] {
  const outlines: GangOutline[] = input.plans.map((gang) => {
    const members: GangMemberCell[] = gang.slots.map((s) => ({
      ...(s.member ? { pod: `${s.member.namespace}/${s.member.name}` } : {}),
      node: s.node,
      devices: s.assignment.devices.map((d) => d.index),
      phase: s.phase,
    }));
    return {
      key: gang.key,
      name: gang.name,
      level: gang.level,
      domain: gang.domain,
      phase: gang.slots.some((s) => s.phase === 'waiting') ? 'binding' : 'planned',
      members,
      nodes: [...new Set(members.map((m) => m.node))].sort(),
    };
  });
  const planned = new Set(input.plans.map((g) => g.key));
  // Bound gangs: their members' committed holdings, grouped by the gang their pods name.
  const bound = new Map<string, { level: string | undefined; members: GangMemberCell[] }>();
  for (const h of input.committed) {
    const pod = input.holder(h.uid);
    if (pod?.gang === undefined || planned.has(pod.gang) || !nodes.has(h.assignment.node)) continue;
    let entry = bound.get(pod.gang);
    if (entry === undefined) bound.set(pod.gang, (entry = { level: undefined, members: [] }));
    entry.level ??= pod.level;
    entry.members.push({
      pod: `${pod.namespace}/${pod.name}`,
      node: h.assignment.node,
      devices: h.assignment.devices.map((d) => d.index),
      phase: 'bound',
    });
  }
  for (const [key, entry] of bound) {
    const level = entry.level ?? NODE_LEVEL;
    const first = entry.members[0]?.node ?? '';
    outlines.push({
      key,
      name: key.slice(key.indexOf('/') + 1),
      level,
      domain: level === NODE_LEVEL ? first : labelsOf(first)[level] || UNLABELLED,
      phase: 'bound',
      members: entry.members.sort((a, b) => ((a.pod ?? '') < (b.pod ?? '') ? -1 : 1)),
      nodes: [...new Set(entry.members.map((m) => m.node))].sort(),
    });
  }
  return outlines.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function reservationCells(input: GangInput, slots: Map<string, SlotRef>): ReservationCell[] {
  return input.reserved.map((h) => {
    const slot = slots.get(h.uid);
    return {
      holder: holderName(h.uid, input.holder(h.uid), slot),
      node: h.assignment.node,
      devices: h.assignment.devices.map((d) => d.index),
      milli: h.assignment.devices.reduce((sum, d) => sum + d.milli, 0),
      expiresInMs: Math.max(0, (h.expiresAt ?? input.now) - input.now),
      atBarrier: slot?.phase === 'waiting',
    };
  });
}
