import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeAssignment } from '../../../src/core/assignment-codec.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import type { CommittedFact } from '../../../src/core/ledger/snapshot.js';
import { generateFabric } from '../../../testbed/gpu-fabric.js';
import { CLIQUE, GangHarness, LEAF, gangPod } from './gang-harness.js';

/** 1 zone, 1 leaf, 2 cliques (fabric-1.000, fabric-1.001) of 4 nodes × 8 GPUs. */
const fabric = () =>
  generateFabric({ zones: 1, leafsPerZone: 1, cliquesPerLeaf: 2, nodesPerClique: 4, gpusPerNode: 8 });

function usedWhole(node: string, index: number): CommittedFact {
  return {
    uid: `${node}/${index}`,
    assignment: { node, whole: true, devices: [{ index, milli: 1000, memoryBytes: 0 }] },
  };
}

const members = (group: string, size: number, opts: Parameters<typeof gangPod>[3] = {}): PodShape[] =>
  Array.from({ length: size }, (_, i) => gangPod(`${group}-${i}`, group, size, opts));

const cliqueOf = (h: GangHarness, node: string) => h.state.inventory(node)?.labels[CLIQUE];

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('gang filter (plan at first member)', () => {
  it('plans the whole gang inside one clique and answers each member with its node only', () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('llama', 4, { gpus: 8, preferred: CLIQUE });
    h.add(...pods);
    const first = h.filter(pods[0]!);
    expect(first.feasible).toHaveLength(1);
    expect(first.feasible[0]).toBe(h.plannedNode(pods[0]!));
    // Only the planned node is offered back; kube-scheduler reads no per-node reasons then.
    expect(first.unresolvable).toEqual({});
    expect(first.failed).toEqual({});
    expect([...(first.rejected ?? [])]).toEqual([
      ['gang member planned on another node', h.nodes.length - 1],
    ]);
    expect(h.observer.made).toEqual([CLIQUE]);
    // Every slot is reserved at once, before the other members are even filtered.
    expect(h.reservations()).toBe(4);
    const nodes = pods.map((p) => h.plannedNode(p));
    expect(new Set(nodes).size).toBe(4);
    expect(new Set(nodes.map((n) => cliqueOf(h, n))).size).toBe(1);
    expect(h.observer.made).toHaveLength(1);
    expect(h.api.bindings).toEqual([]);
  });

  it('moves a member inside the domain when the scheduler did not offer its planned node', () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('g', 2, { gpus: 8, required: CLIQUE });
    h.add(...pods);
    const planned = h.plannedNode(pods[0]!);
    const clique = cliqueOf(h, planned);
    const others = h.nodes.filter((n) => n !== planned);
    const out = h.filter(pods[0]!, others);
    expect(out.feasible).toHaveLength(1);
    expect(cliqueOf(h, out.feasible[0]!)).toBe(clique);
    expect(h.reservations()).toBe(2);
  });
});

describe('all-or-nothing bind', () => {
  it('holds every bind until the last member arrives, then binds all with the level achieved', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('llama', 4, { gpus: 8, preferred: CLIQUE });
    h.add(...pods);
    const binds = pods.slice(0, 3).map((p) => h.schedule(p));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.api.bindings).toEqual([]);
    binds.push(h.schedule(pods[3]!));
    expect(await Promise.all(binds)).toEqual(['', '', '', '']);
    expect(h.api.bindings).toHaveLength(4);
    for (const b of h.api.bindings) {
      expect(b.annotations['phalanx.dev/placement-level']).toBe(CLIQUE);
      expect(b.annotations['phalanx.dev/gpu-devices']).toBeDefined();
    }
    expect(new Set(h.api.bindings.map((b) => cliqueOf(h, b.node))).size).toBe(1);
    expect(h.reservations()).toBe(0);
    expect(h.state.ledger.committed()).toHaveLength(4);
    expect(h.observer.bound).toEqual([{ level: CLIQUE, waitSeconds: 5, commitSeconds: 0 }]);
    expect(h.events.events.filter((e) => e.reason === 'GangPlaced')).toHaveLength(4);
    expect(h.coordinator.plans()).toEqual([]);
  });

  it('with commit eager, binds each member as it reaches bind, all inside the planned clique', async () => {
    const h = new GangHarness({ inventories: fabric().inventories, commit: 'eager' });
    const pods = members('llama', 4, { gpus: 8, preferred: CLIQUE });
    h.add(...pods);
    const first = await h.schedule(pods[0]!);
    expect(first).toBe('');
    // Bound alone; its three peers' slots stay reserved next to it.
    expect(h.api.bindings).toHaveLength(1);
    expect(h.reservations()).toBe(3);
    expect(h.observer.bound).toEqual([]);
    for (const pod of pods.slice(1)) expect(await h.schedule(pod)).toBe('');
    expect(h.api.bindings).toHaveLength(4);
    expect(new Set(h.api.bindings.map((b) => cliqueOf(h, b.node))).size).toBe(1);
    expect(new Set(h.api.bindings.map((b) => b.node)).size).toBe(4);
    expect(h.reservations()).toBe(0);
    // Bound member by member: no barrier, so no commit of its own.
    expect(h.observer.bound).toEqual([{ level: CLIQUE, waitSeconds: 0 }]);
    expect(h.coordinator.plans()).toEqual([]);
  });

  it("takes a member's phalanx.dev/gang-commit over the setting, either way", async () => {
    const eager = new GangHarness({ inventories: fabric().inventories });
    const fast = members('fast', 2, { gpus: 8, preferred: CLIQUE, commit: 'eager' });
    eager.add(...fast);
    expect(await eager.schedule(fast[0]!)).toBe('');
    expect(eager.api.bindings).toHaveLength(1);

    const strict = new GangHarness({ inventories: fabric().inventories, commit: 'eager' });
    const whole = members('whole', 2, { gpus: 8, preferred: CLIQUE, commit: 'barrier' });
    strict.add(...whole);
    const first = strict.schedule(whole[0]!);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(strict.api.bindings).toEqual([]);
    expect(await Promise.all([first, strict.schedule(whole[1]!)])).toEqual(['', '']);
    expect(strict.api.bindings).toHaveLength(2);
  });

  it('reports the commit, barrier open to the last Binding written, apart from the wait', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    h.api.bindLatencyMs = 40;
    const pods = members('llama', 4, { gpus: 8, preferred: CLIQUE });
    h.add(...pods);
    const binds = pods.slice(0, 3).map((p) => h.schedule(p));
    await vi.advanceTimersByTimeAsync(2_000);
    binds.push(h.schedule(pods[3]!));
    await vi.advanceTimersByTimeAsync(40);
    expect(await Promise.all(binds)).toEqual(['', '', '', '']);
    // The four Bindings are written in parallel: the commit takes one Binding's time, not four.
    expect(h.observer.bound).toEqual([{ level: CLIQUE, waitSeconds: 2.04, commitSeconds: 0.04 }]);
  });

  it('releases the plan when the barrier times out: no member binds, every waiter gets an error', async () => {
    const h = new GangHarness({ inventories: fabric().inventories, barrierMs: 25_000 });
    const pods = members('slow', 4, { gpus: 8 });
    h.add(...pods);
    const binds = pods.slice(0, 3).map((p) => h.schedule(p));
    await vi.advanceTimersByTimeAsync(24_999);
    expect(h.api.bindings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    const results = await Promise.all(binds);
    for (const r of results) expect(r).toMatch(/^gang slow: only 3 of 4 members reached bind within 25s; /);
    expect(h.api.bindings).toEqual([]);
    expect(h.reservations()).toBe(0);
    expect(h.observer.released).toEqual(['barrier-timeout']);
    // The late member finds no plan: it gets a fresh plan, and waits like everybody else.
    const late = h.schedule(pods[3]!);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.observer.made).toHaveLength(2);
    expect(h.api.bindings).toEqual([]);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(await late).toMatch(/only 1 of 4/);
  });

  it('releases the plan when a waiting member is deleted', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('del', 4, { gpus: 8 });
    h.add(...pods);
    const binds = pods.slice(0, 3).map((p) => h.schedule(p));
    await vi.advanceTimersByTimeAsync(100);
    h.api.pods.delete('ml/del-1');
    h.coordinator.memberDeleted('uid-del-1');
    for (const r of await Promise.all(binds)) expect(r).toMatch(/^gang del: member ml\/del-1 was deleted; /);
    expect(h.api.bindings).toEqual([]);
    expect(h.reservations()).toBe(0);
    expect(h.observer.released).toEqual(['member-deleted']);
  });

  it('checks every member still exists before binding any (deletion not yet reported)', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('gone', 3, { gpus: 8 });
    h.add(...pods);
    const binds = pods.slice(0, 2).map((p) => h.schedule(p));
    await vi.advanceTimersByTimeAsync(10);
    const last = h.plannedNode(pods[2]!);
    h.api.pods.delete('ml/gone-0');
    binds.push(h.bind(pods[2]!, last));
    const results = await Promise.all(binds);
    expect(results[1]).toMatch(/member ml\/gone-0 was deleted/);
    expect(h.api.bindings).toEqual([]);
    expect(h.reservations()).toBe(0);
  });

  it('gives a replacement the slot of a member that vanished without a delete notice', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('van', 2, { gpus: 8 });
    h.add(...pods);
    const node1 = h.plannedNode(pods[1]!);
    h.plannedNode(pods[0]!);
    h.api.pods.delete('ml/van-1');
    const replacement = gangPod('van-1', 'van', 2, { gpus: 8, uid: 'uid-van-1b' });
    h.add(replacement);
    expect(h.plannedNode(replacement)).toBe(node1);
    expect(h.reservations()).toBe(2);
    expect(h.state.holding('uid-van-1')).toBeUndefined();
    expect(await Promise.all([h.schedule(pods[0]!), h.schedule(replacement)])).toEqual(['', '']);
  });

  it('reopens the slot of a member deleted before the barrier, for its replacement', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('rep', 2, { gpus: 8 });
    h.add(...pods);
    const node1 = h.plannedNode(pods[1]!);
    h.api.pods.delete('ml/rep-1');
    h.coordinator.memberDeleted('uid-rep-1');
    expect(h.reservations()).toBe(2);
    const replacement = gangPod('rep-1', 'rep', 2, { gpus: 8, uid: 'uid-rep-1b' });
    h.add(replacement);
    expect(h.plannedNode(replacement)).toBe(node1);
    expect(await Promise.all([h.schedule(pods[0]!), h.schedule(replacement)])).toEqual(['', '']);
    expect(h.observer.made).toHaveLength(1);
  });
});

describe('capacity and explanations', () => {
  it('refuses a gang whose required level cannot hold it: no member binds and the reason says why', async () => {
    const { inventories } = fabric();
    const occupied = ['z0-l0-c0-n0', 'z0-l0-c1-n0'].map((n) => usedWhole(n, 0));
    const h = new GangHarness({ inventories, occupied });
    const pods = members('llama-0', 4, { gpus: 8, required: CLIQUE });
    h.add(...pods);
    const reason =
      'group llama-0 needs 4 pods × 8 GPUs within one nvidia.com/gpu.clique domain; ' +
      'the best domain, fabric-1.000, has room for 3';
    const out = h.filter(pods[0]!);
    expect(out.feasible).toEqual([]);
    expect(Object.values(out.unresolvable)).toEqual(h.nodes.map(() => reason));
    // An error too, so kube-scheduler retries with backoff instead of waiting for an unrelated event.
    expect(out.error).toBe(reason);
    expect(await h.bind(pods[1]!, 'z0-l0-c0-n1')).toBe(`cannot bind gang member to z0-l0-c0-n1: ${reason}`);
    expect(h.api.bindings).toEqual([]);
    expect(h.reservations()).toBe(0);
    const warnings = h.events.events.filter((e) => e.reason === 'GangUnschedulable');
    expect(warnings.map((e) => e.pod).sort()).toEqual(pods.map((p) => `ml/${p.metadata!.name}`).sort());
    expect(new Set(warnings.map((e) => e.message))).toEqual(new Set([reason]));
    // Retries of other members within the interval do not repeat the events.
    h.filter(pods[2]!);
    await vi.advanceTimersByTimeAsync(2_000);
    h.filter(pods[3]!);
    expect(h.events.events.filter((e) => e.reason === 'GangUnschedulable')).toHaveLength(4);
  });

  it('places a gang larger than any clique within one leaf when only the leaf is required', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('wide', 6, { gpus: 8, required: LEAF, preferred: CLIQUE });
    h.add(...pods);
    expect(await Promise.all(pods.map((p) => h.schedule(p)))).toEqual(Array(6).fill(''));
    expect(h.api.bindings.every((b) => b.annotations['phalanx.dev/placement-level'] === LEAF)).toBe(true);
    expect(h.observer.bound.map((b) => b.level)).toEqual([LEAF]);
  });

  it('places gangs of half-GPU members on shared devices', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('halves', 4, { fraction: '0.5' });
    h.add(...pods);
    expect(await Promise.all(pods.map((p) => h.schedule(p)))).toEqual(['', '', '', '']);
    const nodes = new Set(h.api.bindings.map((b) => b.node));
    expect(nodes.size).toBe(1);
    const node = h.state.nodeState([...nodes][0]!)!;
    expect(node.devices.filter((d) => d.usedMilli === 1000 && d.mode === 'shared')).toHaveLength(2);
    expect(h.api.bindings.every((b) => b.annotations['phalanx.dev/placement-level'] === 'node')).toBe(true);
  });
});

describe('competing gangs', () => {
  it('gives one gang everything while the other waits whole, then returns expired reservations', async () => {
    // One clique has room: the other is fully used.
    const { inventories } = fabric();
    const occupied = ['z0-l0-c1-n0', 'z0-l0-c1-n1', 'z0-l0-c1-n2', 'z0-l0-c1-n3'].map((n) => usedWhole(n, 3));
    const h = new GangHarness({ inventories, occupied, ttlMs: 60_000 });
    const a = members('a', 4, { gpus: 8, required: CLIQUE });
    const b = members('b', 4, { gpus: 8, required: CLIQUE });
    h.add(...a, ...b);
    // Interleaved filters: A plans first and takes the clique whole; B waits with nothing held.
    h.plannedNode(a[0]!);
    expect(h.filter(b[0]!).feasible).toEqual([]);
    expect(h.reservations()).toBe(4);
    // A never reaches bind: after the TTL its plan is released and B can take the clique.
    await vi.advanceTimersByTimeAsync(60_000);
    vi.advanceTimersByTime(1_000);
    const bBinds = b.map((p) => h.schedule(p));
    expect(h.observer.released).toEqual(['expired']);
    expect(await Promise.all(bBinds)).toEqual(['', '', '', '']);
    expect(h.filter(a[1]!).feasible).toEqual([]);
    expect(h.api.bindings.map((x) => x.pod.name).sort()).toEqual(['b-0', 'b-1', 'b-2', 'b-3']);
  });
});

describe('restart in the middle of a gang', () => {
  it('rebuilds from bound members: the rest joins them, nothing leaks or is allocated twice', async () => {
    const first = new GangHarness({ inventories: fabric().inventories });
    const pods = members('r', 4, { gpus: 4, required: CLIQUE });
    first.add(...pods);
    const nodes = pods.map((p) => first.plannedNode(p));
    // Two members were bound by the old process before it died (decisions written on the pods).
    for (const i of [0, 1]) {
      const slot = first.coordinator.plans()[0]!.slots.find((s) => s.member?.uid === `uid-r-${i}`)!;
      await first.api.annotateAndBind(slot.member!, nodes[i]!, {
        'phalanx.dev/gpu-devices': encodeAssignment(slot.assignment),
        'phalanx.dev/placement-level': 'node',
      });
    }
    // New process: ledger rebuilt from bound pods only; plans and reservations are gone.
    const bound: CommittedFact[] = first.api.bindings.map((b) => ({
      uid: b.pod.uid,
      assignment: first.coordinator.plans()[0]!.slots.find((s) => s.member?.uid === b.pod.uid)!.assignment,
    }));
    const h = new GangHarness({ inventories: fabric().inventories, occupied: bound });
    for (const p of first.api.pods.values()) h.api.add(p as PodShape);
    expect(h.reservations()).toBe(0);
    const rest = await Promise.all([h.schedule(pods[2]!), h.schedule(pods[3]!)]);
    expect(rest).toEqual(['', '']);
    const anchorClique = cliqueOf(h, nodes[0]!);
    for (const b of h.api.bindings) expect(cliqueOf(h, b.node)).toBe(anchorClique);
    expect(h.reservations()).toBe(0);
    const committed = h.state.ledger.committed();
    expect(committed).toHaveLength(4);
    const devices = committed.flatMap((c) =>
      c.assignment.devices.map((d) => `${c.assignment.node}/${d.index}`),
    );
    expect(new Set(devices).size).toBe(16);
  });

  it('plans at bind when the filter happened in the previous process', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const pods = members('late', 2, { gpus: 8 });
    h.add(...pods);
    const b0 = h.bind(pods[0]!, 'z0-l0-c1-n2');
    await vi.advanceTimersByTimeAsync(0);
    expect(h.reservations()).toBe(2);
    const b1 = h.schedule(pods[1]!);
    expect(await Promise.all([b0, b1])).toEqual(['', '']);
    expect(h.boundNodes().get('late-0')).toBe('z0-l0-c1-n2');
    expect(cliqueOf(h, h.boundNodes().get('late-1')!)).toBe('fabric-1.001');
  });

  it('refuses a bind to a node the plan cannot use, binding nothing', async () => {
    const { inventories } = fabric();
    const h = new GangHarness({ inventories, occupied: [usedWhole('z0-l0-c1-n2', 0)] });
    const pods = members('nope', 2, { gpus: 8 });
    h.add(...pods);
    expect(await h.bind(pods[0]!, 'z0-l0-c1-n2')).toMatch(
      /^cannot bind gang member to z0-l0-c1-n2: gang nope is planned on .*, which was not offered$/,
    );
    expect(h.api.bindings).toEqual([]);
  });
});

describe('LeaderWorkerSet startup', () => {
  const lws = (worker: number) => ({
    'leaderworkerset.sigs.k8s.io/name': 'lws',
    'leaderworkerset.sigs.k8s.io/group-index': '0',
    'leaderworkerset.sigs.k8s.io/worker-index': String(worker),
  });

  it('LeaderReady: the leader binds alone while its workers’ capacity stays reserved next to it', async () => {
    const h = new GangHarness({ inventories: fabric().inventories, anchoredHoldMs: 600_000 });
    const leader = gangPod('lws-0', 'lws-0', 3, { gpus: 8, required: CLIQUE, labels: lws(0) });
    h.add(leader);
    expect(await h.schedule(leader)).toBe('');
    expect(h.api.bindings).toHaveLength(1);
    expect(h.reservations()).toBe(2);
    // Workers appear minutes later (leader Ready), well past the plain TTL.
    await vi.advanceTimersByTimeAsync(300_000);
    const workers = [1, 2].map((w) =>
      gangPod(`lws-0-${w}`, 'lws-0', 3, { gpus: 8, required: CLIQUE, labels: lws(w) }),
    );
    h.add(...workers);
    expect(await Promise.all(workers.map((w) => h.schedule(w)))).toEqual(['', '']);
    expect(new Set(h.api.bindings.map((b) => cliqueOf(h, b.node))).size).toBe(1);
    expect(h.observer.made).toHaveLength(1);
    expect(h.reservations()).toBe(0);
  });

  it('plans no slot for a member without GPUs (a CPU-only leader), so the workers do not wait for it', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const cpuLeader = gangPod('lws-0', 'lws-0', 3, { labels: lws(0) });
    const workers = [1, 2].map((w) => gangPod(`lws-0-${w}`, 'lws-0', 3, { gpus: 8, labels: lws(w) }));
    h.add(cpuLeader, ...workers);
    expect(await Promise.all(workers.map((w) => h.schedule(w)))).toEqual(['', '']);
    expect(h.observer.bound).toHaveLength(1);
    expect(h.reservations()).toBe(0);
  });

  it('LeaderCreated: a leader whose workers exist waits at the barrier with them', async () => {
    const h = new GangHarness({ inventories: fabric().inventories });
    const leader = gangPod('lws-0', 'lws-0', 2, { gpus: 8, labels: lws(0) });
    const worker = gangPod('lws-0-1', 'lws-0', 2, { gpus: 8, labels: lws(1) });
    h.add(leader, worker);
    const leaderBind = h.schedule(leader);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.api.bindings).toEqual([]);
    expect(await Promise.all([leaderBind, h.schedule(worker)])).toEqual(['', '']);
  });
});
