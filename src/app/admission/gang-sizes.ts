// The size the members of a gang already state, for the webhook's agreement check
// (admission-rules inconsistentGroupSize): read from the informer's gang index, so a member created
// with another phalanx.dev/group-size than its live siblings is refused at admission instead of
// leaving the gang waiting for members that will never come.
import type { PodShape } from '../../core/kube-shapes.js';
import { Req } from '../../core/names.js';
import type { GangMemberIndex } from '../ports.js';

const WHOLE = /^\d{1,9}$/;

/** Members that finished or are going away say nothing about the gang being formed now. */
function isLive(pod: PodShape): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/**
 * The size the live members of gang `key` ("<namespace>/<group>") state: the most common
 * phalanx.dev/group-size among them (ties: the smaller), or undefined when none states one.
 */
export function statedGroupSize(members: readonly PodShape[]): number | undefined {
  const counts = new Map<number, number>();
  for (const pod of members) {
    if (!isLive(pod)) continue;
    const text = pod.metadata?.annotations?.[Req.groupSize]?.trim();
    if (text === undefined || !WHOLE.test(text)) continue;
    const size = Number(text);
    if (size >= 1) counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [size, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && size < best)) {
      best = size;
      bestCount = count;
    }
  }
  return best;
}

/** `AdmissionServiceOptions.groupSizeOf` over the informer's gang index. */
export function groupSizeFromIndex(index: GangMemberIndex): (key: string) => number | undefined {
  return (key) => statedGroupSize(index.members(key));
}
