// The pods a victim choice weighs, read from the informer cache and the ledger: what each holds on
// its node, its priority, age and gang, and (for Phalanx's own preemption) whether it is protected;
// and a gang's members on other nodes, which go with it. Shared by the /preempt verb and the
// preemption controller, so both judge victims alike.
import type { ClusterState } from '../../core/cluster-state.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { Req } from '../../core/names.js';
import { createdAtMs, victimProtection, type VictimPolicy } from '../../core/preemption/victim-policy.js';
import {
  assignmentDevices,
  type RemoteMember,
  type VictimCandidate,
} from '../../core/preemption/victim-units.js';
import type { GangMemberIndex, PodRef } from '../ports.js';

export const priorityOf = (pod: PodShape): number => pod.spec?.priority ?? 0;

export const isFinished = (pod: PodShape): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** The key GangMemberIndex uses: "<namespace>/<phalanx.dev/pod-group>". */
export function gangKeyOf(pod: PodShape): string | undefined {
  const group = pod.metadata?.annotations?.[Req.podGroup];
  return group === undefined || group === '' ? undefined : `${pod.metadata?.namespace ?? 'default'}/${group}`;
}

export interface RemoteRef extends PodRef {
  readonly node: string;
  readonly pod: PodShape;
}

export class VictimCandidates {
  readonly #state: Pick<ClusterState, 'holding'>;
  readonly #gangs: GangMemberIndex;
  readonly #policy: VictimPolicy | undefined;

  /** Without `policy` nothing is protected (kube-scheduler's own preemption decides who may go). */
  constructor(state: Pick<ClusterState, 'holding'>, gangs: GangMemberIndex, policy?: VictimPolicy) {
    this.#state = state;
    this.#gangs = gangs;
    this.#policy = policy;
  }

  /** What evicting the pod frees on `node`: only what the ledger counts there. */
  candidate(pod: PodShape, node: string): VictimCandidate {
    const uid = pod.metadata?.uid ?? '';
    const held = this.#state.holding(uid);
    const counted =
      held !== undefined &&
      held.state === 'committed' &&
      held.displaced !== true &&
      held.assignment.node === node;
    const gangKey = gangKeyOf(pod);
    const created = createdAtMs(pod);
    const shielded = this.#protection(pod);
    return {
      uid,
      priority: priorityOf(pod),
      ...(counted ? { assignment: held.assignment } : {}),
      ...(gangKey !== undefined ? { gangKey } : {}),
      ...(created !== undefined ? { createdAtMs: created } : {}),
      ...(shielded !== undefined ? { protectedBy: shielded } : {}),
    };
  }

  /** Members of these candidates' gangs bound outside `inside` (a node, or a domain's nodes). */
  remoteMembers(
    candidates: readonly VictimCandidate[],
    inside: ReadonlySet<string>,
  ): { members: Map<string, RemoteMember[]>; refs: Map<string, RemoteRef> } {
    const members = new Map<string, RemoteMember[]>();
    const refs = new Map<string, RemoteRef>();
    const keys = new Set(candidates.flatMap((c) => (c.gangKey === undefined ? [] : [c.gangKey])));
    for (const key of keys) {
      const elsewhere: RemoteMember[] = [];
      for (const member of this.#gangs.members(key)) {
        const where = member.spec?.nodeName;
        const uid = member.metadata?.uid;
        if (
          where === undefined ||
          where === '' ||
          inside.has(where) ||
          uid === undefined ||
          isFinished(member)
        )
          continue;
        const held = this.#state.holding(uid);
        const created = createdAtMs(member);
        const shielded = this.#protection(member);
        elsewhere.push({
          uid,
          node: where,
          priority: priorityOf(member),
          gpus: held?.state === 'committed' ? assignmentDevices(held.assignment) : 0,
          ...(created !== undefined ? { createdAtMs: created } : {}),
          ...(shielded !== undefined ? { protectedBy: shielded } : {}),
        });
        refs.set(uid, {
          namespace: member.metadata?.namespace ?? 'default',
          name: member.metadata?.name ?? '',
          uid,
          node: where,
          pod: member,
        });
      }
      members.set(key, elsewhere);
    }
    return { members, refs };
  }

  #protection(pod: PodShape): string | undefined {
    return this.#policy === undefined ? undefined : victimProtection(pod, this.#policy);
  }
}
