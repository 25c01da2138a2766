// GPU reservations, the leader's side: every device slot of the ledger that holds shares gets one
// reservation pod (created when the first share is reserved on it, deleted `releaseAfterMs` after
// the last share went), and the UUID each reservation reports is the device's identity. The first
// share on a device waits at bind, bounded, until that UUID is known; later shares bind at once.
//
// State is rebuilt from the API alone: reservations are pods (seen through the informer) named by
// (node, index), so a restarted leader adopts the ones it created, deletes the ones no share needs
// and creates the missing ones — after its ledger is accounted (`active`), never before.
import type { ClusterState } from '../../core/cluster-state.js';
import {
  deviceKey,
  observeReservation,
  reconcileReservations,
  reservationPodName,
  sharedDevices,
  type ObservedReservation,
} from '../../core/devices/reservation-pods.js';
import { shareAnnotations } from '../../core/devices/share-env.js';
import type { PodShape } from '../../core/kube-shapes.js';
import type { Assignment, Clock } from '../../core/types.js';
import type { EventRecorder, PodRef } from '../ports.js';
import type { ReservationPodWriter } from './ports.js';

export interface GpuReservationsDeps {
  /** Namespace of the reservation pods. */
  readonly namespace: string;
  readonly state: ClusterState;
  readonly pods: ReservationPodWriter;
  readonly clock: Clock;
  /** Longest a first share waits at bind for its reservation's UUID. */
  readonly uuidWaitMs: number;
  /** How long a reservation outlives its last share (absorbs a share replaced at once). */
  readonly releaseAfterMs: number;
  /** True while this replica may write (leader with margin) and its ledger is accounted. */
  readonly active: () => boolean;
  readonly events?: EventRecorder;
  readonly onAction?: (action: string, detail: Record<string, unknown>) => void;
  readonly onError?: (action: string, err: unknown, detail: Record<string, unknown>) => void;
}

/** What the Binding of a share must carry, or why it cannot be written yet. */
export type ShareBindStep =
  | { readonly ok: true; readonly annotations: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly reason: string };

/** A create sent but not seen by the informer is retried after this long. */
const CREATE_SEEN_WITHIN_MS = 30_000;

export class GpuReservations {
  readonly #deps: GpuReservationsDeps;
  /** Reservation pods by UID, as the informer last showed them. */
  readonly #observed = new Map<string, ObservedReservation>();
  /** Device key → when its create was sent (until the informer shows the pod). */
  readonly #creating = new Map<string, number>();
  /** Device key → since when no share needs it. */
  readonly #unwantedSince = new Map<string, number>();
  /** UIDs a delete was sent for. */
  readonly #deleting = new Set<string>();
  readonly #waiters = new Map<string, Set<(uuid: string) => void>>();
  #running: Promise<void> | undefined;
  #again = false;

  constructor(deps: GpuReservationsDeps) {
    this.#deps = deps;
  }

  /** Informer: a pod was added or changed (any pod; non-reservations are ignored). */
  podChanged(pod: PodShape): void {
    const seen = observeReservation(pod, this.#deps.namespace);
    if (seen === undefined) return;
    this.#observed.set(seen.uid, seen);
    const key = deviceKey(seen.node, seen.index);
    if (!seen.gone) this.#creating.delete(key);
    if (seen.uuid !== undefined && !seen.gone) {
      const waiting = this.#waiters.get(key);
      this.#waiters.delete(key);
      for (const resolve of waiting ?? []) resolve(seen.uuid);
    }
  }

  /** Informer: a pod was deleted. */
  podDeleted(pod: PodShape): void {
    const uid = pod.metadata?.uid;
    if (uid === undefined || !this.#observed.delete(uid)) return;
    this.#deleting.delete(uid);
    this.kick();
  }

  /** The UUID of the device slot, when its live reservation reported one. */
  uuidOf(node: string, index: number): string | undefined {
    for (const r of this.#observed.values()) {
      if (r.node === node && r.index === index && !r.gone && r.uuid !== undefined) return r.uuid;
    }
    return undefined;
  }

  /** Reservation pods as seen (for views and tests). */
  observed(): readonly ObservedReservation[] {
    return [...this.#observed.values()];
  }

  /**
   * The bind step of a share: the device UUID and share annotations its Binding must carry. Waits
   * for the first share's reservation to report (at most `uuidWaitMs`, with an Event on the pod);
   * whole-GPU assignments carry nothing more (the device plugin picks their devices).
   */
  async bindStep(ref: PodRef, assignment: Assignment): Promise<ShareBindStep> {
    const device = assignment.devices[0];
    if (assignment.whole || device === undefined) return { ok: true, annotations: {} };
    const { node } = assignment;
    let uuid = this.uuidOf(node, device.index);
    if (uuid === undefined) {
      const name = reservationPodName(node, device.index);
      const seconds = Math.round(this.#deps.uuidWaitMs / 100) / 10;
      this.#deps.events?.podEvent(
        ref,
        'Normal',
        'WaitingForGpuDevice',
        `first share on GPU ${device.index} of ${node}: waiting up to ${seconds}s for reservation pod ${this.#deps.namespace}/${name} to report the device UUID`,
      );
      const waited = this.#waitFor(deviceKey(node, device.index));
      this.kick();
      uuid = await waited;
      if (uuid === undefined) {
        const reason =
          `GPU ${device.index} of ${node}: reservation pod ${this.#deps.namespace}/${name} reported no device UUID ` +
          `within ${seconds}s (is the NVIDIA device plugin running there, with a free device?)`;
        this.#deps.events?.podEvent(ref, 'Warning', 'GpuDeviceUnknown', reason);
        return { ok: false, reason };
      }
    }
    const memory = this.#deps.state
      .nodeState(node)
      ?.devices.find((d) => d.index === device.index)?.memoryBytes;
    return { ok: true, annotations: shareAnnotations(assignment, uuid, memory ?? 0) ?? {} };
  }

  #waitFor(key: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(key);
      if (set === undefined) this.#waiters.set(key, (set = new Set()));
      const waiters = set;
      const done = (uuid: string | undefined): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve(uuid);
      };
      const timer = setTimeout(() => done(undefined), this.#deps.uuidWaitMs);
      timer.unref?.();
      waiters.add(done);
    });
  }

  /** Starts a reconcile pass now (or right after the running one). Never rejects. */
  kick(): void {
    void this.reconcile();
  }

  /** One pass: create the missing reservations, delete the unneeded and the finished ones. */
  async reconcile(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again);
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<void> {
    if (!this.#deps.active()) return;
    const { state, clock } = this.#deps;
    const now = clock.now();
    const wanted = sharedDevices([...state.ledger.committed(), ...state.ledger.reservations()]);
    for (const [key, since] of this.#creating) {
      if (now - since > CREATE_SEEN_WITHIN_MS) this.#creating.delete(key);
    }
    const observed = [...this.#observed.values()];
    for (const r of observed) {
      const key = deviceKey(r.node, r.index);
      if (wanted.has(key)) this.#unwantedSince.delete(key);
      else if (!this.#unwantedSince.has(key)) this.#unwantedSince.set(key, now);
    }
    for (const key of this.#unwantedSince.keys()) {
      if (!observed.some((r) => deviceKey(r.node, r.index) === key)) this.#unwantedSince.delete(key);
    }
    const actions = reconcileReservations({
      wanted,
      observed,
      creating: new Set(this.#creating.keys()),
      unwantedSince: this.#unwantedSince,
      now,
      releaseAfterMs: this.#deps.releaseAfterMs,
    });
    await Promise.all(
      actions.map(async (action) => {
        if (action.kind === 'create') {
          const key = deviceKey(action.node, action.index);
          this.#creating.set(key, now);
          try {
            const outcome = await this.#deps.pods.create(action);
            this.#deps.onAction?.('created', {
              pod: action.name,
              node: action.node,
              index: action.index,
              outcome,
            });
          } catch (err) {
            this.#creating.delete(key);
            this.#deps.onError?.('create', err, { pod: action.name, node: action.node, index: action.index });
          }
          return;
        }
        if (this.#deleting.has(action.uid)) return;
        this.#deleting.add(action.uid);
        try {
          await this.#deps.pods.delete(action.name, action.uid);
          this.#deps.onAction?.('deleted', { pod: action.name, reason: action.reason });
        } catch (err) {
          this.#deleting.delete(action.uid);
          this.#deps.onError?.('delete', err, { pod: action.name, reason: action.reason });
        }
      }),
    );
  }
}
