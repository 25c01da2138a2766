// GPU reservation pods, as data: one per physical GPU that holds shares, in its own namespace, bound
// to the device's node and asking for `nvidia.com/gpu: 1`, so the device plugin gives that device to
// nobody else. Its name is a function of (node, device index), so creating it twice is harmless and a
// restarted leader finds the one it created before. Pure: what identifies a reservation, what the
// leader wants to exist, and what it should create or delete.
import type { PodShape } from '../kube-shapes.js';
import { Decision } from '../names.js';
import { shortHash } from '../short-hash.js';
import type { Assignment } from '../types.js';
import { isGpuUuid } from './device-uuid.js';

/** Labels on every reservation pod (selectable); the device index as a label value. */
export const ReservationLabel = {
  role: 'phalanx.dev/gpu-reservation',
  device: 'phalanx.dev/gpu-reservation-device',
} as const;

/** The UUID the reservation container reports on its own pod (the same key its shares carry). */
export const RESERVATION_UUID_ANNOTATION = Decision.gpuUuid;

/** "<node>/<index>": one physical GPU slot of Phalanx's ledger. */
export function deviceKey(node: string, index: number): string {
  return `${node}/${index}`;
}

/**
 * `gpu-<node>-<index>-<hash>`: a valid pod name for any node name (DNS subdomain, ≤ 253; the node
 * part is cut to keep it short and the hash keeps cut names apart).
 */
export function reservationPodName(node: string, index: number): string {
  const part = node
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 180)
    .replace(/[.-]+$/, '');
  return `gpu-${part}-${index}-${shortHash(`${node}/${index}`)}`;
}

/** What one reservation pod says, as the leader sees it through the informer. */
export interface ObservedReservation {
  readonly name: string;
  readonly uid: string;
  readonly node: string;
  readonly index: number;
  /** The reported UUID, when the container wrote a well-formed one. */
  readonly uuid?: string;
  /** Deleted (terminating) or finished (Failed: e.g. the kubelet refused it, no device free). */
  readonly gone: boolean;
  readonly phase?: string;
}

/**
 * The reservation a pod is, or undefined: only pods in the reservations namespace with the role
 * label count (a label alone elsewhere is ignored, so no workload can pass itself off as one).
 */
export function observeReservation(pod: PodShape, namespace: string): ObservedReservation | undefined {
  const meta = pod.metadata;
  if (meta?.namespace !== namespace || meta.labels?.[ReservationLabel.role] !== 'true') return undefined;
  const node = pod.spec?.nodeName;
  const index = Number(meta.labels[ReservationLabel.device]);
  if (node === undefined || node === '' || !Number.isInteger(index) || index < 0) return undefined;
  const raw = meta.annotations?.[RESERVATION_UUID_ANNOTATION];
  const phase = pod.status?.phase;
  const finished = phase === 'Failed' || phase === 'Succeeded';
  return {
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    node,
    index,
    ...(raw !== undefined && isGpuUuid(raw) ? { uuid: raw } : {}),
    gone: meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null ? true : finished,
    ...(phase !== undefined ? { phase } : {}),
  };
}

/** Device slots that hold shares (reserved or bound) and so need a reservation. */
export function sharedDevices(holdings: Iterable<{ readonly assignment: Assignment }>): Set<string> {
  const keys = new Set<string>();
  for (const { assignment } of holdings) {
    if (assignment.whole) continue;
    for (const d of assignment.devices) keys.add(deviceKey(assignment.node, d.index));
  }
  return keys;
}

export type ReservationAction =
  | { readonly kind: 'create'; readonly node: string; readonly index: number; readonly name: string }
  | { readonly kind: 'delete'; readonly name: string; readonly uid: string; readonly reason: string };

export interface ReconcileInput {
  /** Device keys holding shares now. */
  readonly wanted: ReadonlySet<string>;
  readonly observed: readonly ObservedReservation[];
  /** Device keys whose create was sent and not seen yet. */
  readonly creating: ReadonlySet<string>;
  /** Since when each key has had no share (ms), for the release grace. */
  readonly unwantedSince: ReadonlyMap<string, number>;
  readonly now: number;
  readonly releaseAfterMs: number;
}

/**
 * What to create and delete so that exactly the shared devices have one live reservation each:
 * a finished or foreign-named one is deleted (and recreated on a later pass while shares need it);
 * one without shares for `releaseAfterMs` is deleted; a missing one is created.
 */
export function reconcileReservations(input: ReconcileInput): ReservationAction[] {
  const actions: ReservationAction[] = [];
  const live = new Set<string>();
  for (const r of input.observed) {
    const key = deviceKey(r.node, r.index);
    if (r.name !== reservationPodName(r.node, r.index)) {
      actions.push({
        kind: 'delete',
        name: r.name,
        uid: r.uid,
        reason: `not the reservation name of ${key}`,
      });
      continue;
    }
    if (r.gone) {
      if (r.phase === 'Failed' || r.phase === 'Succeeded')
        actions.push({ kind: 'delete', name: r.name, uid: r.uid, reason: `finished (${r.phase})` });
      live.add(key); // terminating or about to be: a new one with the same name must wait for it
      continue;
    }
    live.add(key);
    if (input.wanted.has(key)) continue;
    const since = input.unwantedSince.get(key) ?? input.now;
    if (input.now - since >= input.releaseAfterMs)
      actions.push({ kind: 'delete', name: r.name, uid: r.uid, reason: 'no share on the device' });
  }
  for (const key of [...input.wanted].sort()) {
    if (live.has(key) || input.creating.has(key)) continue;
    const slash = key.lastIndexOf('/');
    const node = key.slice(0, slash);
    const index = Number(key.slice(slash + 1));
    actions.push({ kind: 'create', node, index, name: reservationPodName(node, index) });
  }
  return actions;
}
