// Filter's bounded wait on a preemption hold: only for whole-GPU slots on nodes kube-scheduler
// offers (it counts whole GPUs, so its offer means it saw the victims go), woken when the slots are
// reserved, and said why (at once on later calls) when they are not.
import { describe, expect, it } from 'vitest';
import { PreemptionHolds } from '../../../src/app/preemption/preemption-holds.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, whole } from '../../support/assignments.js';
import { settled } from '../../support/settled.js';

function world(waitMs = 60_000) {
  const state = new ClusterState();
  for (const n of ['n1', 'n2']) state.applyNode(nodeInventory(n, 2));
  for (const [uid, a] of [
    ['v1', whole('n1', 0, 1)],
    ['v2', share('n2', 0, 600)],
  ] as const) {
    const result = state.commit(uid, a);
    if (!result.ok) throw new Error(result.reason);
  }
  const holds = new PreemptionHolds(state, waitMs);
  const spec = { expiresAt: 1e12, decidedAt: 0, domain: 'n1' };
  holds.add({ key: 'ml/g', gangKey: 'ml/g', assignments: [whole('n1', 0, 1)], ...spec });
  holds.add({ key: 'pod:p', podUid: 'p', assignments: [share('n2', 0, 500)], ...spec });
  return { state, holds };
}

describe('PreemptionHolds.released', () => {
  it('waits for an offered whole-GPU slot until its victims go and the slot is reserved', async () => {
    const { state, holds } = world();
    expect(holds.released('ml/g', ['n2'])).toBeUndefined();
    const wait = holds.released('ml/g', ['n2', 'n1']);
    if (wait === undefined) throw new Error('expected a wait');
    expect(await settled(wait)).toBe('pending');
    state.release('v1');
    expect(await settled(wait)).toBeUndefined();
    expect(holds.get('ml/g')?.slots.map((s) => s.state)).toEqual(['reserved']);
    expect(holds.released('ml/g', ['n1'])).toBeUndefined();
  });

  it('never waits for shares (the scheduler cannot see them), nor without a hold', () => {
    const { holds } = world();
    expect(holds.released('pod:p', ['n2'])).toBeUndefined();
    expect(holds.released('ml/none', ['n1'])).toBeUndefined();
  });

  it('says why after the bound, at once afterwards, and forgets that once the hold ends', async () => {
    const { holds } = world(20);
    const why = "the pods preempted for it still hold GPUs on n1 in Phalanx's view";
    expect(await holds.released('ml/g', ['n1'])).toBe(why);
    const again = holds.released('ml/g', ['n1']);
    expect(again && (await settled(again))).toBe(why);
    holds.finish('ml/g');
    expect(holds.released('ml/g', ['n1'])).toBeUndefined();
  });
});
