import { describe, expect, it } from 'vitest';
import { WHOLE_GANG_REASON, type PreemptObserver } from '../../../src/app/preemption/preempt-service.js';
import { LeavingVictims } from '../../../src/app/preemption/leaving-victims.js';
import { PreemptWorld, fractionalPreemptor, podShape } from './preempt-harness.js';
import { share, whole } from '../../support/assignments.js';

function service(world: PreemptWorld, notServing?: string) {
  const seen: string[] = [];
  const observer: PreemptObserver = {
    nodeResult: (r) => seen.push(`node:${r}`),
    victimsChosen: (reason, n) => seen.push(`victims:${reason}:${n}`),
  };
  const svc = world.service({ notServingReason: () => notServing, observer });
  return { svc, seen };
}

/** gpu-1: device 0 shared by a (500m, prio 0) and b (400m, prio 5); device 1 whole to gang g. */
function world(aPriority = 0): PreemptWorld {
  return new PreemptWorld()
    .node('gpu-1', 2)
    .node('gpu-2', 1)
    .pod('a', { node: 'gpu-1', priority: aPriority, holds: share('gpu-1', 0, 500) })
    .pod('b', { node: 'gpu-1', priority: 5, holds: share('gpu-1', 0, 400) })
    .pod('g1', { node: 'gpu-1', priority: 0, holds: whole('gpu-1', 1), gang: 'train' })
    .pod('g2', { node: 'gpu-2', priority: 0, holds: whole('gpu-2', 0), gang: 'train' })
    .pod('cpu-hog', { node: 'gpu-1', priority: 1 });
}

describe('PreemptService', () => {
  it('replaces the scheduler’s victims with the pods that free the share on the right device', () => {
    const { svc, seen } = service(world());
    const out = svc.preempt(fractionalPreemptor(600, 10), { 'gpu-1': ['b'] });
    expect(out.victims).toEqual({ 'gpu-1': ['a'] });
    expect(out.remote).toEqual({});
    expect(seen).toEqual(['victims:gpu:1', 'node:victims']);
  });

  it('keeps the scheduler’s victims that hold no GPU (they freed CPU or memory)', () => {
    const { svc, seen } = service(world());
    const out = svc.preempt(fractionalPreemptor(600, 10), { 'gpu-1': ['b', 'cpu-hog'] });
    expect(out.victims).toEqual({ 'gpu-1': ['a', 'cpu-hog'] });
    expect(seen).toContain('victims:host:1');
  });

  it('evicts a gang whole and reports its members on other nodes with their names', () => {
    const { svc, seen } = service(world(9));
    const out = svc.preempt(fractionalPreemptor(600, 10), { 'gpu-1': ['a'] });
    expect(out.victims).toEqual({ 'gpu-1': ['g1'] });
    expect(out.remote).toEqual({ 'gpu-1': [{ namespace: 'ml', name: 'g2', uid: 'g2', node: 'gpu-2' }] });
    expect(seen).toEqual(['victims:gang:2', 'node:victims']);
  });

  it('drops nodes where eviction cannot help, where the pod already fits, and nodes without GPUs', () => {
    const w = world()
      .node('gpu-3', 1)
      .pod('big', { node: 'gpu-3', priority: 20, holds: share('gpu-3', 0, 900) });
    const { svc, seen } = service(w);
    const out = svc.preempt(fractionalPreemptor(600, 10), { 'gpu-3': ['big'], 'cpu-0': ['x'] });
    expect(out.victims).toEqual({});
    expect(out.dropped['gpu-3']).toContain('even after evicting every lower-priority pod');
    expect(out.dropped['cpu-0']).toContain('no GPUs known to Phalanx');
    expect(seen).toEqual(['node:cannot-help', 'node:unknown-node']);
    const small = svc.preempt(fractionalPreemptor(50, 10), { 'gpu-1': ['b'] });
    expect(small.victims).toEqual({});
    expect(small.dropped['gpu-1']).toContain('fits on node gpu-1 without evicting anything');
  });

  it('never names the preemptor itself nor finished pods, and only counts what the ledger holds on the node', () => {
    const w = new PreemptWorld()
      .node('n', 1)
      .pod('done', { node: 'n', priority: 0, phase: 'Succeeded' })
      .pod('live', { node: 'n', priority: 0, holds: share('n', 0, 700) })
      .pod('cpu-only', { node: 'n', priority: 0 });
    w.pods.push(podShape('preemptor', { node: 'n', priority: 0 }));
    const { svc } = service(w);
    const out = svc.preempt(fractionalPreemptor(500, 3), { n: ['done', 'preemptor', 'cpu-only'] });
    expect(out.victims).toEqual({ n: ['cpu-only', 'live'] });
  });

  it('passes the scheduler’s choice through for pods that ask for no GPU', () => {
    const { svc } = service(world());
    const out = svc.preempt(podShape('preemptor', { priority: 10 }), { 'gpu-1': ['b'] });
    expect(out.victims).toEqual({ 'gpu-1': ['b'] });
  });

  it('drops every node with the reason when the request is invalid', () => {
    const { svc, seen } = service(world());
    const pod = fractionalPreemptor(600, 10, { annotations: { 'phalanx.dev/gpu-fraction': '0.3' } });
    const out = svc.preempt(pod, { 'gpu-1': ['b'] });
    expect(out.victims).toEqual({});
    expect(out.dropped['gpu-1']).toMatch(/^invalid request: /);
    expect(seen).toEqual(['node:invalid-request']);
  });

  it('answers with an error while not serving', () => {
    const { svc } = service(world(), 'not the leader');
    expect(svc.preempt(fractionalPreemptor(600, 10), { 'gpu-1': ['b'] })).toEqual({
      victims: {},
      remote: {},
      dropped: {},
      error: 'not the leader',
    });
  });

  it('returns only the nodes of least cost, counting a gang’s members on other nodes', () => {
    // n1: a low gang member (its mate on n2 goes too: 2 pods); n3: one low pod; n4: one mid pod.
    const w = new PreemptWorld()
      .node('n1', 1)
      .node('n2', 1)
      .node('n3', 1)
      .node('n4', 1)
      .pod('g1', { node: 'n1', priority: 1, holds: whole('n1', 0), gang: 'g' })
      .pod('g2', { node: 'n2', priority: 1, holds: whole('n2', 0), gang: 'g' })
      .pod('solo', { node: 'n3', priority: 1, holds: whole('n3', 0) })
      .pod('mid', { node: 'n4', priority: 5, holds: whole('n4', 0) });
    const { svc, seen } = service(w);
    const preemptor = podShape('p', { priority: 10, requests: { 'nvidia.com/gpu': '1' } });
    const out = svc.preempt(preemptor, { n1: ['g1'], n2: ['g2'], n3: ['solo'], n4: ['mid'] });
    expect(out.victims).toEqual({ n3: ['solo'] });
    expect(Object.keys(out.dropped).sort()).toEqual(['n1', 'n2', 'n4']);
    expect(out.dropped['n1']).toBe(
      'costlier: evicting 2 pod(s) up to priority 1 here, 1 pod(s) up to priority 1 on n3',
    );
    expect(out.dropped['n4']).toMatch(/^costlier: evicting 1 pod\(s\) up to priority 5/);
    expect(seen.filter((x) => x === 'node:costlier')).toHaveLength(3);
    expect(seen).toContain('victims:gpu:1');
    expect(seen).not.toContain('victims:gang:2');

    // Without the single pod, both gang nodes tie and are both returned, each with its remote mate.
    const tie = svc.preempt(preemptor, { n1: ['g1'], n2: ['g2'], n4: ['mid'] });
    expect(tie.victims).toEqual({ n1: ['g1'], n2: ['g2'] });
    expect(tie.remote['n1']?.map((r) => r.name)).toEqual(['g2']);
    expect(tie.remote['n2']?.map((r) => r.name)).toEqual(['g1']);
  });

  it('hands a gang member to Phalanx’s whole-gang preemption and offers the scheduler no victims', () => {
    const handed: string[] = [];
    const seen: string[] = [];
    const svc = world().service({
      wholeGangs: (pod) => handed.push(pod.metadata?.name ?? ''),
      observer: { nodeResult: (r) => seen.push(r), victimsChosen: () => undefined },
    });
    const member = podShape('m0', {
      priority: 10,
      gang: 'serve',
      annotations: { 'phalanx.dev/group-size': '2' },
      requests: { 'nvidia.com/gpu': '1' },
      phase: 'Pending',
    });
    const out = svc.preempt(member, { 'gpu-1': ['g1'], 'gpu-2': ['g2'] });
    expect(out.victims).toEqual({});
    expect(Object.values(out.dropped)).toEqual([WHOLE_GANG_REASON, WHOLE_GANG_REASON]);
    expect(handed).toEqual(['m0']);
    expect(seen).toEqual(['whole-gang', 'whole-gang']);
  });

  it('chooses no other victims while the first choice for the pod is still leaving', () => {
    const w = world();
    const leaving = new LeavingVictims({
      ledger: w.state.ledger,
      clock: { now: () => 0 },
      podByUid: () => undefined,
      keepMs: 60_000,
    });
    const seen: string[] = [];
    const svc = w.service({
      leaving,
      observer: { nodeResult: (r) => seen.push(r), victimsChosen: () => undefined },
    });
    const first = svc.preempt(fractionalPreemptor(600, 10), { 'gpu-1': ['b'] });
    expect(first.victims).toEqual({ 'gpu-1': ['a'] });
    // The scheduler nominated the pod on gpu-1 and evicts a; Phalanx has not seen a go yet.
    const nominated = {
      ...fractionalPreemptor(600, 10),
      status: { phase: 'Pending', nominatedNodeName: 'gpu-1' },
    };
    seen.length = 0;
    const again = svc.preempt(nominated, { 'gpu-1': ['b'], 'gpu-2': ['g2'] });
    expect(again.victims).toEqual({});
    expect(again.dropped['gpu-2']).toMatch(
      /victims chosen for this pod on node gpu-1 are still leaving \(1 still hold/,
    );
    expect(seen).toEqual(['victims-leaving', 'victims-leaving']);
    // Once a is gone from the ledger, the pod is judged afresh.
    w.state.release('a');
    const afresh = svc.preempt(nominated, { 'gpu-1': ['b'] });
    expect(afresh.dropped['gpu-1']).toContain('fits on node gpu-1 without evicting anything');
  });
});
