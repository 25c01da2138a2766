// Why a GPU pod or gang waits when the reason is quota or admission, not capacity, told on the pods
// as Events (the filter never sees these pods, so Phalanx's capacity messages would be silent or
// misleading):
// - a pod held by Kueue's admission scheduling gate waits for its workload to be admitted, i.e.
//   for quota in its ClusterQueue (WaitingForAdmission, once per pod);
// - a gang with fewer live members than its size whose owner (Job, StatefulSet, ReplicaSet…) has
//   a refused pod creation (FailedCreate, e.g. "exceeded quota") waits for quota, not for GPUs:
//   its members are told (WaitingForQuota), with the refusal's quota part so repeats aggregate.
// Incomplete gangs are re-checked by sweep(), since the refusal may come after the members' last
// update; owners' refusals are read at most once per refresh interval.
import { DemandError } from '../../core/errors.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { isManaged, parsePodDemand } from '../../core/pod-demand.js';
import type { Clock, GangRef } from '../../core/types.js';
import { gangOf, liveMembers, memberRef } from '../gang/gang-membership.js';
import type { EventRecorder, GangMemberIndex } from '../ports.js';
import type { CreateRefusals, OwnerRef } from './ports.js';

export const KUEUE_ADMISSION_GATE = 'kueue.x-k8s.io/admission';
export const WAITING_FOR_ADMISSION = 'WaitingForAdmission';
export const WAITING_FOR_QUOTA = 'WaitingForQuota';

export interface AdmissionWaitsDeps {
  readonly members: GangMemberIndex;
  readonly refusals: CreateRefusals;
  readonly events: EventRecorder;
  readonly clock: Clock;
  readonly levels: readonly string[];
  /** Phalanx's scheduler: pods that other schedulers place are not Phalanx's to explain. */
  readonly schedulerName: string;
  /** Only the serving leader tells (not synced or a follower → nothing happens). */
  readonly active: () => boolean;
  /** An owner's refusals are read at most this often. Default 10 s. */
  readonly refreshMs?: number;
  /** A gang is looked into only once incomplete this long (members appear one by one). Default 2 s. */
  readonly graceMs?: number;
}

/** Gangs and pods remembered at most (deleted workloads are dropped first). */
const REMEMBERED = 4096;

export function heldByKueue(pod: PodShape): boolean {
  return (pod.spec?.schedulingGates ?? []).some((g) => g.name === KUEUE_ADMISSION_GATE);
}

/** The stable part of a refusal: "exceeded quota: …" without the generated pod name before it. */
export function refusalReason(message: string): string {
  const quota = /exceeded quota: .*$/s.exec(message);
  return (quota?.[0] ?? message).trim().slice(0, 400);
}

function ownerOf(pod: PodShape): OwnerRef | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller === true);
  if (owner?.uid === undefined) return undefined;
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
  };
}

export class AdmissionWaits {
  readonly #deps: AdmissionWaitsDeps;
  readonly #toldGated = new Set<string>();
  /** Incomplete gangs to re-check: key → gang and since when. */
  readonly #incomplete = new Map<string, { gang: GangRef; since: number }>();
  readonly #readAt = new Map<string, number>();

  constructor(deps: AdmissionWaitsDeps) {
    this.#deps = deps;
  }

  /** Feed every pod add/update. */
  podChanged(pod: PodShape): void {
    if (!this.#deps.active() || pod.spec?.schedulerName !== this.#deps.schedulerName) return;
    if (heldByKueue(pod) && this.#wantsGpu(pod)) this.#tellGated(pod);
    const gang = gangOf(pod);
    if (gang !== undefined) void this.#checkGang(gang);
  }

  /** Re-checks the gangs last seen incomplete (call periodically). */
  sweep(): void {
    if (!this.#deps.active()) return;
    for (const { gang } of [...this.#incomplete.values()]) void this.#checkGang(gang);
  }

  async #checkGang(gang: GangRef): Promise<void> {
    const live = liveMembers(this.#deps.members, gang);
    if (live.length === 0 || live.length >= gang.size) {
      this.#incomplete.delete(gang.key);
      return;
    }
    const now = this.#deps.clock.now();
    const since = this.#incomplete.get(gang.key)?.since ?? now;
    remember(this.#incomplete, gang.key, { gang, since });
    if (now - since < (this.#deps.graceMs ?? 2_000)) return;
    const owner = live.map(ownerOf).find((o) => o !== undefined);
    if (owner === undefined) return;
    if (now - (this.#readAt.get(gang.key) ?? -Infinity) < (this.#deps.refreshMs ?? 10_000)) return;
    remember(this.#readAt, gang.key, now);
    const refusal = await this.#deps.refusals.latest(owner).catch(() => undefined);
    if (refusal === undefined) return;
    const message =
      `gang ${gang.name} has ${live.length} of ${gang.size} members: ${owner.kind} ${owner.name} ` +
      `could not create the others (${refusalReason(refusal)}); it waits for quota, not for GPUs`;
    for (const member of live)
      this.#deps.events.podEvent(memberRef(member), 'Warning', WAITING_FOR_QUOTA, message);
  }

  #tellGated(pod: PodShape): void {
    const ref = memberRef(pod);
    if (ref.uid === '' || this.#toldGated.has(ref.uid)) return;
    if (this.#toldGated.size >= REMEMBERED) this.#toldGated.clear();
    this.#toldGated.add(ref.uid);
    this.#deps.events.podEvent(
      ref,
      'Normal',
      WAITING_FOR_ADMISSION,
      `held by Kueue's ${KUEUE_ADMISSION_GATE} scheduling gate: its workload waits for quota in its ClusterQueue; Phalanx places it once admitted`,
    );
  }

  #wantsGpu(pod: PodShape): boolean {
    try {
      return isManaged(parsePodDemand(pod, { levels: this.#deps.levels }));
    } catch (err) {
      if (err instanceof DemandError) return false;
      throw err;
    }
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= REMEMBERED) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}
