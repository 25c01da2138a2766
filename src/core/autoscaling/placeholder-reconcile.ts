// The placeholders that exist (as the informer shows them) against the ones the demand wants, and
// the hand-off that gives their room to the real pods.
//
// Why placeholders are deleted as soon as they are scheduled, and not kept until the real pods bind:
// a scheduled placeholder is a real pod to the kubelet. The device plugin gives it devices, and the
// ledger counts them (core/ledger/pod-facts.ts: whole GPUs of a pod Phalanx did not place), so no
// share or gang member is ever planned onto a device a placeholder holds. Once every placeholder of a
// unit is scheduled, the capacity it asked for exists: its job is done. Deleting it (grace period 0)
// lets the kubelet stop it and release its devices; only when the pod object is gone do
// kube-scheduler and the ledger count those devices free, and only then can a real pod be bound there
// — so the device is never promised twice, and a reservation pod bound by nodeName is never refused
// by the kubelet for a device a placeholder still holds. The real pods retry on that deletion (or
// preempt a placeholder themselves: placeholders have a negative priority). For `handoffGraceMs`
// after a hand-off the unit gets no new placeholders, so they cannot race the real pods for the room.
// A share unit hands off as soon as one placeholder is scheduled (shares use any GPU that appears);
// a gang only when all are (its placeholders are only meaningful together, in one domain). A gang
// whose placeholders stay half placed for `stallMs` (the first landed in a domain with some room,
// the rest cannot follow) is deleted and recreated away from that domain.
import type { PlaceholderKind, PlaceholderSpec } from './placeholder-plan.js';

/** One placeholder pod as observed. */
export interface ObservedPlaceholder {
  readonly name: string;
  readonly uid: string;
  readonly unit: string;
  readonly kind: PlaceholderKind | undefined;
  readonly specHash: string | undefined;
  /** The node it is bound to, if scheduled. */
  readonly node?: string;
  /** Deleted (terminating) already. */
  readonly deleting: boolean;
  /** Failed or Succeeded (e.g. refused by a kubelet): it holds nothing and must go. */
  readonly finished: boolean;
}

export type PlaceholderAction =
  | { readonly kind: 'create'; readonly spec: PlaceholderSpec }
  | { readonly kind: 'delete'; readonly name: string; readonly uid: string; readonly reason: string };

export interface PlaceholderReconcileInput {
  readonly desired: readonly PlaceholderSpec[];
  readonly observed: readonly ObservedPlaceholder[];
  /** Names whose create was sent and not seen yet. */
  readonly creating: ReadonlySet<string>;
  /** Unit id → until when (ms) it gets no placeholders after a hand-off. */
  readonly handedOff: ReadonlyMap<string, number>;
  readonly now: number;
  readonly handoffGraceMs: number;
  /** Gang unit id → since when some but not all of its placeholders are scheduled. */
  readonly partialSince: ReadonlyMap<string, number>;
  /** How long a gang may stay half placed before its placeholders are retried elsewhere. */
  readonly stallMs: number;
  /** The value of a level label on a node. */
  readonly domainOf: (node: string, key: string) => string | undefined;
}

export interface PlaceholderReconcile {
  readonly actions: PlaceholderAction[];
  /** Units handed off in this pass, with the end of their grace. */
  readonly handoffs: ReadonlyMap<string, number>;
  /** Gang units half placed now, and since when. */
  readonly partialSince: ReadonlyMap<string, number>;
  /** Gang units half placed for `stallMs`: deleted now, with the domains their next placeholders avoid. */
  readonly stalled: ReadonlyMap<string, readonly string[]>;
}

export function reconcilePlaceholders(input: PlaceholderReconcileInput): PlaceholderReconcile {
  const actions: PlaceholderAction[] = [];
  const handoffs = new Map<string, number>();
  const partialSince = new Map<string, number>();
  const stalled = new Map<string, string[]>();
  const inGrace = (unit: string): boolean => (input.handedOff.get(unit) ?? -Infinity) > input.now;

  const desiredByUnit = new Map<string, PlaceholderSpec[]>();
  for (const spec of input.desired) {
    const specs = desiredByUnit.get(spec.unit);
    if (specs !== undefined) specs.push(spec);
    else desiredByUnit.set(spec.unit, [spec]);
  }
  const liveByName = new Map<string, ObservedPlaceholder>();
  for (const o of input.observed) if (!o.deleting && !o.finished) liveByName.set(o.name, o);

  // Hand-off: the unit's capacity is there (see the file comment).
  for (const [unit, specs] of desiredByUnit) {
    if (inGrace(unit)) continue;
    const nodes = specs.flatMap((s) => {
      const o = liveByName.get(s.name);
      return o?.node !== undefined && o.specHash === s.specHash ? [{ node: o.node, key: s.colocateKey }] : [];
    });
    const gang = (specs[0] as PlaceholderSpec).kind === 'gang';
    if (gang ? nodes.length === specs.length : nodes.length > 0) {
      handoffs.set(unit, input.now + input.handoffGraceMs);
      continue;
    }
    if (!gang || nodes.length === 0) continue;
    // Half a gang placed where the rest cannot follow (a domain with some room, not enough): the
    // autoscaler cannot add to that domain's room either, so try again outside it.
    const since = input.partialSince.get(unit) ?? input.now;
    if (input.now - since < input.stallMs) {
      partialSince.set(unit, since);
      continue;
    }
    const domains = nodes.flatMap(({ node, key }) => {
      const domain = key === undefined ? undefined : input.domainOf(node, key);
      return domain === undefined ? [] : [domain];
    });
    stalled.set(unit, [...new Set(domains)].sort());
  }
  const wanted = new Map<string, PlaceholderSpec>();
  for (const spec of input.desired) {
    if (!inGrace(spec.unit) && !handoffs.has(spec.unit) && !stalled.has(spec.unit))
      wanted.set(spec.name, spec);
  }

  for (const o of input.observed) {
    if (o.deleting) continue;
    const spec = wanted.get(o.name);
    let reason: string | undefined;
    if (o.finished) reason = 'finished';
    else if (handoffs.has(o.unit)) reason = 'capacity is there: handed to the waiting pods';
    else if (stalled.has(o.unit)) reason = 'gang half placed too long: retried outside that domain';
    else if (spec === undefined) reason = 'no waiting demand for it';
    else if (spec.specHash !== o.specHash || spec.unit !== o.unit) reason = 'the demand changed';
    if (reason !== undefined) actions.push({ kind: 'delete', name: o.name, uid: o.uid, reason });
  }
  const present = new Set(input.observed.map((o) => o.name));
  for (const spec of wanted.values()) {
    if (present.has(spec.name) || input.creating.has(spec.name)) continue;
    actions.push({ kind: 'create', spec });
  }
  return { actions, handoffs, partialSince, stalled };
}
