// Lifts the phalanx.dev/gang scheduling gate of every member of a group together, once the group is
// complete (as many live members as its group-size). The webhook adds the gate so no member is
// scheduled, and no capacity reserved, while part of the group does not exist yet. Driven by pod
// events: call podChanged after the member index has taken the event in.
import type { PodShape } from '../../core/kube-shapes.js';
import { GANG_GATE } from '../../core/names.js';
import type { GangRef } from '../../core/types.js';
import { gangOf, liveMembers, memberRef } from './gang-membership.js';
import type { Binder, GangMemberIndex, PodRef } from '../ports.js';

export interface GangGatesDeps {
  readonly members: GangMemberIndex;
  readonly binder: Pick<Binder, 'removeSchedulingGate'>;
  /** A gate could not be removed; the next event of the group retries. */
  readonly onError?: (pod: PodRef, error: unknown) => void;
}

export function hasGangGate(pod: PodShape): boolean {
  return (pod.spec?.schedulingGates ?? []).some((g) => g.name === GANG_GATE);
}

export class GangGates {
  private readonly deps: GangGatesDeps;
  /** UIDs whose gate removal is in flight, so bursts of events do not repeat the call. */
  private readonly lifting = new Set<string>();

  constructor(deps: GangGatesDeps) {
    this.deps = deps;
  }

  /** Lifts the group's gates if this pod's group is complete; resolves with how many were lifted. */
  async podChanged(pod: PodShape): Promise<number> {
    const gang = gangOf(pod);
    return gang === undefined ? 0 : this.reconcile(gang);
  }

  async reconcile(gang: GangRef): Promise<number> {
    const live = liveMembers(this.deps.members, gang);
    if (live.length < gang.size) return 0;
    const gated = live.map(memberRef).filter((ref, i) => {
      const pod = live[i];
      return pod !== undefined && hasGangGate(pod) && !this.lifting.has(ref.uid);
    });
    for (const ref of gated) this.lifting.add(ref.uid);
    const results = await Promise.allSettled(
      gated.map((ref) => this.deps.binder.removeSchedulingGate(ref, GANG_GATE)),
    );
    let lifted = 0;
    results.forEach((result, i) => {
      const ref = gated[i];
      if (ref === undefined) return;
      this.lifting.delete(ref.uid);
      if (result.status === 'fulfilled') lifted += 1;
      else this.deps.onError?.(ref, result.reason);
    });
    return lifted;
  }
}
