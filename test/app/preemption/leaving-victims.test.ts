// The preempt verb's choices, kept until Phalanx sees the victims go: the filter's bounded wait and
// the "still leaving" verdict, over the real ledger.
import { describe, expect, it } from 'vitest';
import { LeavingVictims } from '../../../src/app/preemption/leaving-victims.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { whole } from '../../support/assignments.js';
import { settled } from '../../support/settled.js';

const KEEP_MS = 60_000;

function setup(waitMs = 60_000) {
  const state = new ClusterState();
  for (const node of ['n1', 'n2', 'n3']) state.applyNode(nodeInventory(node, 2));
  for (const [uid, node, device] of [
    ['a0', 'n1', 0],
    ['a1', 'n1', 1],
    ['b0', 'n2', 0],
    ['b1', 'n2', 1],
    ['c0', 'n3', 0],
  ] as const) {
    const result = state.commit(uid, whole(node, device));
    if (!result.ok) throw new Error(result.reason);
  }
  let now = 1_000;
  const pods = new Map<string, PodShape>();
  const leaving = new LeavingVictims({
    ledger: state.ledger,
    clock: { now: () => now },
    podByUid: (uid) => pods.get(uid),
    keepMs: KEEP_MS,
    waitMs,
  });
  return {
    state,
    leaving,
    pods,
    advance: (ms: number) => (now += ms),
  };
}

const preemptor = (nominated?: string): PodShape => ({
  metadata: { name: 'p', namespace: 'ml', uid: 'p-uid' },
  status: { phase: 'Pending', ...(nominated === undefined ? {} : { nominatedNodeName: nominated }) },
});

describe('LeavingVictims', () => {
  it('knows nothing of a pod the verb chose no victims for', () => {
    const { leaving } = setup();
    leaving.chosen('p-uid', {});
    expect(leaving.released(preemptor(), ['n1'])).toBeUndefined();
    expect(leaving.leavingOn(preemptor('n1'))).toBeUndefined();
  });

  it('waits only when the scheduler offers a node where the victims still hold GPUs', () => {
    const { leaving } = setup();
    leaving.chosen('p-uid', { n1: ['a0', 'a1'] });
    // The scheduler still sees them on n1 and offers only other nodes: its own events will come.
    expect(leaving.released(preemptor(), ['n2', 'n3'])).toBeUndefined();
    expect(leaving.released(preemptor(), ['n3', 'n1'])).toBeDefined();
  });

  it('lets filter wait until the offered node is free of its victims', async () => {
    const { state, leaving } = setup();
    leaving.chosen('p-uid', { n1: ['a0', 'a1'] });
    const wait = leaving.released(preemptor(), ['n1']);
    if (wait === undefined) throw new Error('expected a wait');
    expect(await settled(wait)).toBe('pending');
    state.release('a0');
    expect(await settled(wait)).toBe('pending');
    state.release('a1');
    expect(await settled(wait)).toBeUndefined();
    // The node is free now: nothing left to wait for.
    expect(leaving.released(preemptor(), ['n1'])).toBeUndefined();
  });

  it('wakes when any one of several offered nodes is free (the scheduler evicts on one of them)', async () => {
    const { state, leaving } = setup();
    leaving.chosen('p-uid', { n1: ['a0', 'a1'], n2: ['b0', 'b1'] });
    const wait = leaving.released(preemptor(), ['n1', 'n2', 'n3']);
    if (wait === undefined) throw new Error('expected a wait');
    state.release('a0');
    state.release('b0');
    state.release('c0'); // not a victim of this pod
    expect(await settled(wait)).toBe('pending');
    state.release('b1');
    expect(await settled(wait)).toBeUndefined();
  });

  it('says why after the bound, at once for the same choice afterwards, and waits for a new choice', async () => {
    const { leaving } = setup(20);
    leaving.chosen('p-uid', { n1: ['a0', 'a1'] });
    const wait = leaving.released(preemptor(), ['n1']);
    if (wait === undefined) throw new Error('expected a wait');
    const t0 = Date.now();
    const why = "victims preempted for this pod still hold GPUs on n1 in Phalanx's view";
    expect(await wait).toBe(why);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    const again = leaving.released(preemptor(), ['n1']);
    expect(again && (await settled(again))).toBe(why);
    leaving.chosen('p-uid', { n1: ['a0', 'a1'] });
    const fresh = leaving.released(preemptor(), ['n1']);
    expect(fresh && (await settled(fresh))).toBe('pending');
  });

  it('says the choice is still leaving once the scheduler nominated its node or marked a victim', () => {
    const { state, leaving, pods } = setup();
    leaving.chosen('p-uid', { n1: ['a0', 'a1'], n2: ['b0', 'b1'] });
    // Nothing seen yet: the scheduler may not have picked any of these nodes.
    expect(leaving.leavingOn(preemptor())).toBeUndefined();
    expect(leaving.leavingOn(preemptor('n2'))).toEqual({ node: 'n2', holding: 2 });
    pods.set('a1', {
      metadata: { uid: 'a1' },
      status: {
        phase: 'Running',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }],
      },
    } as PodShape);
    expect(leaving.leavingOn(preemptor())).toEqual({ node: 'n1', holding: 2 });
    pods.delete('a1');
    pods.set('a0', { metadata: { uid: 'a0', deletionTimestamp: '2026-12-03T10:00:00Z' } });
    expect(leaving.leavingOn(preemptor())).toEqual({ node: 'n1', holding: 2 });
    pods.clear();
    state.release('a0');
    expect(leaving.leavingOn(preemptor())).toEqual({ node: 'n1', holding: 1 });
    state.release('a1');
    expect(leaving.leavingOn(preemptor('n1'))).toBeUndefined();
  });

  it('forgets a choice after keepMs, and a newer choice replaces an older one', () => {
    const { leaving, advance } = setup();
    leaving.chosen('p-uid', { n1: ['a0'] });
    advance(KEEP_MS - 1);
    expect(leaving.leavingOn(preemptor('n1'))).toEqual({ node: 'n1', holding: 1 });
    advance(1);
    expect(leaving.leavingOn(preemptor('n1'))).toBeUndefined();
    expect(leaving.released(preemptor('n1'), ['n1'])).toBeUndefined();
    leaving.chosen('p-uid', { n1: ['a0'] });
    leaving.chosen('p-uid', { n3: ['c0'] });
    expect(leaving.leavingOn(preemptor('n1'))).toBeUndefined();
    expect(leaving.leavingOn(preemptor('n3'))).toEqual({ node: 'n3', holding: 1 });
  });
});
