// Who is in a gang when it is planned: members already bound (they anchor the domain), members
// waiting to be placed (their own demand), and members not created yet (planned like the pod being
// filtered, since workload controllers stamp members from one template). Read from the informer
// cache through GangMemberIndex.
import { readGang } from '../../core/demand-annotations.js';
import { DemandError } from '../../core/errors.js';
import type { PodShape } from '../../core/kube-shapes.js';
import type { MemberRef } from '../../core/gang/gang-tracker.js';
import { parsePodDemand } from '../../core/pod-demand.js';
import { requestsGpu as namesGpuResource } from '../../core/gang/workload-gangs.js';
import type { GangRef, PodDemand } from '../../core/types.js';
import type { GangMemberIndex } from '../ports.js';

export interface GangRoster {
  /** Nodes of members already bound. */
  readonly anchors: readonly string[];
  /**
   * Members to place; the pod being filtered is first. `member` is absent for pods not created yet,
   * whose `pod` is then the filtered pod (their template).
   */
  readonly toPlace: readonly {
    readonly member?: MemberRef;
    readonly pod: PodShape;
    readonly demand: PodDemand;
  }[];
  /** Members not created yet that could not be planned from a template (toPlace is then empty). */
  readonly missing: number;
}

export function memberRef(pod: PodShape): MemberRef {
  return {
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
  };
}

/** The gang a pod's annotations name, or undefined when they name none or are invalid (admission
 * denies invalid ones; a pod that slipped past is simply not treated as a gang member here). */
export function gangOf(pod: PodShape): GangRef | undefined {
  try {
    return readGang(pod.metadata?.annotations ?? {}, pod.metadata?.namespace ?? 'default');
  } catch (err) {
    if (err instanceof DemandError) return undefined;
    throw err;
  }
}

/**
 * One member per gang that waits for the scheduler named `schedulerName`: live, not bound, not held
 * back by a scheduling gate. The gangs a new leader plans ahead (GangCoordinator.planAhead).
 */
export function pendingGangMembers(
  index: GangMemberIndex & { gangKeys(): Iterable<string> },
  schedulerName: string,
): PodShape[] {
  const pending: PodShape[] = [];
  for (const key of index.gangKeys()) {
    const member = index
      .members(key)
      .find(
        (p) =>
          isLiveMember(p) &&
          !p.spec?.nodeName &&
          (p.spec?.schedulingGates ?? []).length === 0 &&
          p.spec?.schedulerName === schedulerName,
      );
    if (member !== undefined) pending.push(member);
  }
  return pending;
}

/** Pods that still count for the gang: not finished, not being deleted. */
export function isLiveMember(pod: PodShape): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata?.deletionTimestamp == null;
}

/** Live members in a stable order (creation time, then name). */
export function liveMembers(index: GangMemberIndex, gang: GangRef): PodShape[] {
  return index
    .members(gang.key)
    .filter(isLiveMember)
    .sort((a, b) => {
      const ta = String(a.metadata?.creationTimestamp ?? '');
      const tb = String(b.metadata?.creationTimestamp ?? '');
      const na = a.metadata?.name ?? '';
      const nb = b.metadata?.name ?? '';
      return ta < tb ? -1 : ta > tb ? 1 : na < nb ? -1 : na > nb ? 1 : 0;
    });
}

export function gangRoster(
  index: GangMemberIndex,
  current: PodShape,
  currentDemand: PodDemand,
  levels: readonly string[],
): GangRoster {
  const gang = currentDemand.gang;
  if (gang === undefined) throw new Error('gangRoster called for a pod outside any gang');
  const self = memberRef(current);
  const others = liveMembers(index, gang).filter((p) => p.metadata?.uid !== self.uid);
  const anchors = others.flatMap((p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
  const toPlace: { member?: MemberRef; pod: PodShape; demand: PodDemand }[] = [
    { member: self, pod: current, demand: currentDemand },
  ];
  // Members without GPUs get a slot when admission routed them to the extender; others (a CPU-only
  // leader of a workload Phalanx did not route) are scheduled without it and hold no slot.
  let bypassing = 0;
  for (const pod of others) {
    if (pod.spec?.nodeName) continue;
    const demand = demandOrTemplate(pod, currentDemand, levels);
    if (demand.gpu.kind === 'none' && !namesGpuResource(pod)) bypassing += 1;
    else toPlace.push({ member: memberRef(pod), pod, demand });
  }
  const room = Math.max(0, gang.size - anchors.length - bypassing);
  const missing = Math.max(0, room - toPlace.length);
  // Members not created yet are planned like the filtered pod (one template), unless it has no GPUs:
  // in a gang of several workloads a CPU-only member says nothing about the GPU members to come.
  if (missing > 0 && currentDemand.gpu.kind === 'none') return { anchors, toPlace: [], missing };
  for (let i = 0; i < missing; i++) toPlace.push({ pod: current, demand: currentDemand });
  return { anchors, toPlace: toPlace.slice(0, room), missing: 0 };
}

/** A member whose request cannot be read is planned like the current pod; its own filter says why. */
function demandOrTemplate(pod: PodShape, template: PodDemand, levels: readonly string[]): PodDemand {
  try {
    return parsePodDemand(pod, { levels });
  } catch (err) {
    if (err instanceof DemandError) return template;
    throw err;
  }
}
