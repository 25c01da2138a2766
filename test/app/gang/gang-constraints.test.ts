// Gangs on a cluster of several pools: members are planned only on nodes their own specs allow
// (selectors, taints, cordon, readiness, host resources), rules between members are honoured, and a
// plan the scheduler does not offer is planned again within a budget, never in a loop.
import { describe, expect, it } from 'vitest';
import { MAX_REPLANS } from '../../../src/app/gang/member-constraints.js';
import type { NodeShape, PodShape } from '../../../src/core/kube-shapes.js';
import type { NodeInventory } from '../../../src/core/types.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { FakeNodeLookup } from '../../fakes/node-lookup.js';
import { CLIQUE, GangHarness, gangPod, type GangPodOptions } from './gang-harness.js';

interface NodeSpec {
  readonly name: string;
  readonly pool: string;
  readonly clique: string;
  readonly taint?: string;
  readonly cordoned?: boolean;
  readonly notReady?: boolean;
}

// Pool b's clique sorts first, so a planner blind to pools and taints picks it on a tie.
const NODES: readonly NodeSpec[] = [
  { name: 'b-n0', pool: 'b', clique: 'c0-b', taint: 'b' },
  { name: 'b-n1', pool: 'b', clique: 'c0-b', taint: 'b' },
  { name: 'a-n0', pool: 'a', clique: 'c1-a' },
  { name: 'a-n1', pool: 'a', clique: 'c1-a' },
  { name: 'a-n2', pool: 'a', clique: 'c2-a' },
  { name: 'a-n3', pool: 'a', clique: 'c2-a' },
];

function labelsOf(spec: NodeSpec): Record<string, string> {
  return { pool: spec.pool, [CLIQUE]: spec.clique, 'kubernetes.io/hostname': spec.name };
}

function inventories(specs: readonly NodeSpec[]): NodeInventory[] {
  return specs.map((s) =>
    nodeInventory(s.name, 8, { labels: labelsOf(s), unschedulable: s.cordoned ?? false }),
  );
}

function nodeObject(spec: NodeSpec): NodeShape {
  return {
    metadata: { name: spec.name, labels: labelsOf(spec) },
    spec: {
      ...(spec.cordoned ? { unschedulable: true } : {}),
      ...(spec.taint ? { taints: [{ key: 'pool', value: spec.taint, effect: 'NoSchedule' }] } : {}),
    },
    status: {
      allocatable: { cpu: '96', memory: '1Ti', pods: '110', 'nvidia.com/gpu': '8' },
      conditions: [{ type: 'Ready', status: spec.notReady ? 'False' : 'True' }],
    },
  };
}

function harness(specs: readonly NodeSpec[] = NODES, withNodes = true): GangHarness {
  return new GangHarness({
    inventories: inventories(specs),
    ...(withNodes ? { nodes: new FakeNodeLookup(specs.map(nodeObject)) } : {}),
  });
}

type Spec = NonNullable<PodShape['spec']>;

/** A gang of `size` members with extra pod spec fields (selector, tolerations, affinity, resources). */
function members(
  group: string,
  size: number,
  extra: Partial<Spec> = {},
  opts: GangPodOptions = {},
): PodShape[] {
  return Array.from({ length: size }, (_, i) => {
    const pod = gangPod(`${group}-${i}`, group, size, { gpus: 8, required: CLIQUE, ...opts });
    return { ...pod, spec: { ...pod.spec, ...extra } };
  });
}

async function scheduleAll(h: GangHarness, pods: readonly PodShape[]): Promise<string[]> {
  h.add(...pods);
  const nodes = pods.map((p) => h.plannedNode(p));
  const results = await Promise.all(pods.map((p, i) => h.bind(p, nodes[i]!)));
  expect(results).toEqual(pods.map(() => ''));
  return nodes;
}

const poolA = { nodeSelector: { pool: 'a' } };
const toleratesB = { tolerations: [{ key: 'pool', operator: 'Equal', value: 'b', effect: 'NoSchedule' }] };

describe('gang members are planned only on nodes they may use', () => {
  it('a planner blind to node rules takes the tainted pool (the baseline these tests guard against)', async () => {
    const nodes = await scheduleAll(harness(NODES, false), members('blind', 2, poolA));
    expect(nodes.every((n) => n.startsWith('b-'))).toBe(true);
  });

  it('a gang selecting pool a lands in pool a, in one clique', async () => {
    const nodes = await scheduleAll(harness(), members('sel', 2, poolA));
    expect(nodes.every((n) => n.startsWith('a-'))).toBe(true);
    expect(new Set(nodes.map((n) => NODES.find((s) => s.name === n)?.clique)).size).toBe(1);
  });

  it('a gang without the toleration never touches the tainted pool', async () => {
    const nodes = await scheduleAll(harness(), members('plain', 2));
    expect(nodes.some((n) => n.startsWith('b-'))).toBe(false);
  });

  it('a gang that tolerates the taint and selects pool b lands there', async () => {
    const nodes = await scheduleAll(
      harness(),
      members('tol', 2, { ...toleratesB, nodeSelector: { pool: 'b' } }),
    );
    expect(nodes.sort()).toEqual(['b-n0', 'b-n1']);
  });

  it('skips cordoned and NotReady nodes and a node whose CPU other pods took', () => {
    const specs = NODES.map((s) =>
      s.name === 'a-n0' ? { ...s, cordoned: true } : s.name === 'a-n2' ? { ...s, notReady: true } : s,
    );
    const h = harness([
      ...specs,
      { name: 'a-n4', pool: 'a', clique: 'c3-a' },
      { name: 'a-n5', pool: 'a', clique: 'c3-a' },
    ]);
    // a-n4 runs pods of another scheduler that take 95 of its 96 CPUs.
    const lookup = (h as unknown as { coordinator: { deps: { nodes: FakeNodeLookup } } }).coordinator.deps
      .nodes;
    lookup.usages.set('a-n4', { requested: { cpu: 95_000 }, podCount: 3, hostPorts: [] });
    const cpu = {
      containers: [
        { name: 'main', resources: { requests: { cpu: '4' }, limits: { 'nvidia.com/gpu': '8' } } },
      ],
    };
    const gang = members('busy', 2, { ...poolA, ...cpu });
    h.add(...gang);
    const out = h.filter(gang[0]!);
    expect(out.feasible).toEqual([]);
    const reason = out.error ?? '';
    expect(reason).toContain('among nodes matching pool=a');
    expect(reason).toMatch(/node is cordoned/);
    expect(reason).toMatch(/node is not Ready/);
    expect(reason).toMatch(/Insufficient cpu/);
  });
});

describe('rules between members', () => {
  const fourGpus = { gpus: 4 };
  const oneWorkerPerNode = {
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { role: 'worker' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    },
  };

  it('without anti-affinity two 4-GPU members share a node (best fit)', async () => {
    const nodes = await scheduleAll(
      harness(),
      members('packed', 2, poolA, { ...fourGpus, labels: { role: 'worker' } }),
    );
    expect(new Set(nodes).size).toBe(1);
  });

  it('required anti-affinity on the hostname puts one member per node', async () => {
    const gang = members(
      'spread',
      2,
      { ...poolA, ...oneWorkerPerNode },
      { ...fourGpus, labels: { role: 'worker' } },
    );
    const nodes = await scheduleAll(harness(), gang);
    expect(new Set(nodes).size).toBe(2);
  });

  it('a spread constraint with maxSkew 1 over hosts puts one member per node', async () => {
    const spread = {
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { role: 'worker' } },
        },
      ],
    };
    const gang = members('skew', 2, { ...poolA, ...spread }, { ...fourGpus, labels: { role: 'worker' } });
    const nodes = await scheduleAll(harness(), gang);
    expect(new Set(nodes).size).toBe(2);
  });

  it('refuses, with the rule named, a gang whose anti-affinity cannot hold in one clique', () => {
    const h = harness();
    const gang = members(
      'three',
      3,
      { ...poolA, ...oneWorkerPerNode },
      { ...fourGpus, labels: { role: 'worker' } },
    );
    h.add(...gang);
    const out = h.filter(gang[0]!);
    expect(out.feasible).toEqual([]);
    expect(out.error).toMatch(/pod anti-affinity: one member per kubernetes.io\/hostname/);
  });
});

describe('a plan the scheduler does not offer', () => {
  it('is planned again among the offered nodes, and the member is told why', () => {
    // Pool b untainted here: Phalanx's rules allow it, but the scheduler (a rule Phalanx does not
    // evaluate) offers only pool a.
    const specs = NODES.map((s) => ({ name: s.name, pool: s.pool, clique: s.clique }));
    const h = harness(specs);
    const gang = members('offer', 2);
    h.add(...gang);
    const poolANodes = specs.filter((s) => s.pool === 'a').map((s) => s.name);
    expect(h.filter(gang[0]!, h.nodes).feasible[0]).toMatch(/^b-/);
    const out = h.filter(gang[1]!, poolANodes);
    expect(out.feasible).toHaveLength(1);
    expect(out.feasible[0]).toMatch(/^a-/);
    expect(h.observer.released).toContain('not-offered');
    const replanned = h.events.events.filter((e) => e.reason === 'GangReplanned');
    expect(replanned).toHaveLength(1);
    expect(replanned[0]!.message).toMatch(/planned on b-n\d, which was not offered \(a scheduler constraint/);
    // The first member is now offered only pool a too (same template): its plan follows.
    const first = h.filter(gang[0]!, poolANodes);
    expect(first.feasible[0]).toMatch(/^a-/);
  });

  it('gives up after its re-plan budget instead of looping, saying why', () => {
    const specs = NODES.map((s) => ({ name: s.name, pool: s.pool, clique: s.clique }));
    const h = harness(specs);
    const gang = members('loop', 2);
    h.add(...gang);
    // Every offer names a different clique than the plan before it, so each one forces a re-plan.
    const cliques = [
      ['b-n0', 'b-n1'],
      ['a-n0', 'a-n1'],
      ['a-n2', 'a-n3'],
    ];
    const outcomes = Array.from({ length: MAX_REPLANS + 3 }, (_, i) =>
      h.filter(gang[i % 2]!, cliques[i % cliques.length] ?? []),
    );
    const replans = h.events.events.filter((e) => e.reason === 'GangReplanned');
    expect(replans).toHaveLength(MAX_REPLANS);
    const last = outcomes.at(-1)!;
    expect(last.feasible).toEqual([]);
    expect(Object.values(last.unresolvable)[0]).toMatch(/which was not offered/);
    // Nothing leaks: one plan of two slots at most is held.
    expect(h.reservations()).toBeLessThanOrEqual(2);
  });
});

describe('a member that disagrees with the plan made before it existed', () => {
  it('has the gang planned again at once and explained, without waiting for the bind barrier', async () => {
    const h = harness();
    const [early] = members('late', 2, poolA);
    const late = members('late', 2, { ...toleratesB, nodeSelector: { pool: 'b' } })[1]!;
    h.add(early!);
    // The plan guesses the missing member from the first one's template (pool a).
    const bind = h.bind(early!, h.plannedNode(early!));
    await new Promise((resolve) => setImmediate(resolve)); // the first member now waits at the barrier
    expect(h.coordinator.plans()[0]?.slots.some((slot) => slot.phase === 'waiting')).toBe(true);
    h.add(late);
    const out = h.filter(late);
    expect(out.feasible).toEqual([]);
    expect(out.error).toMatch(/group late needs 2 pods × 8 GPUs within one nvidia.com\/gpu.clique domain/);
    expect(h.observer.released).toContain('member-mismatch');
    expect(await bind).toMatch(
      /member ml\/late-1 fits no slot; the plan was released and no waiting member was bound/,
    );
    expect(h.api.bindings).toEqual([]);
    expect(h.reservations()).toBe(0);
  });
});

describe('one gang over several workloads, with CPU-only members', () => {
  const LEAF = 'network.topology.nvidia.com/leaf';
  // Two racks, each with two 8-GPU nodes and one CPU-only node; rack r0's GPUs are partly taken,
  // so a gang that needs a whole rack's GPU nodes must go to r1.
  const rackNodes = ['r0', 'r1'].flatMap((rack) => [
    { name: `${rack}-gpu0`, rack, gpus: 8 },
    { name: `${rack}-gpu1`, rack, gpus: 8 },
    { name: `${rack}-cpu0`, rack, gpus: 0 },
  ]);
  function rackHarness(): GangHarness {
    // GPU nodes also share an NVLink clique per rack; the CPU-only node is in the rack only.
    const labels = (rack: string, name: string) => ({
      [LEAF]: `leaf-${rack}`,
      'kubernetes.io/hostname': name,
      ...(name.includes('gpu') ? { [CLIQUE]: `clique-${rack}` } : {}),
    });
    const objects: NodeShape[] = rackNodes.map((n) => ({
      metadata: { name: n.name, labels: labels(n.rack, n.name) },
      spec: {},
      status: {
        allocatable: { cpu: '64', memory: '512Gi', pods: '110', 'nvidia.com/gpu': String(n.gpus) },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    }));
    return new GangHarness({
      inventories: rackNodes.map((n) => nodeInventory(n.name, n.gpus, { labels: labels(n.rack, n.name) })),
      occupied: [
        {
          uid: 'other',
          assignment: { node: 'r0-gpu0', whole: true, devices: [{ index: 0, milli: 1000, memoryBytes: 0 }] },
        },
      ],
      nodes: new FakeNodeLookup(objects),
    });
  }
  function component(name: string, gpus: number): PodShape {
    const pod = gangPod(name, 'graph', 4, { required: LEAF });
    const limits = gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : { 'phalanx.dev/gpu-milli': '0' };
    return {
      ...pod,
      spec: { containers: [{ name: 'main', resources: { requests: { cpu: '2' }, limits } }] },
    };
  }

  it('binds frontend, router, prefill and decode together: GPU members in one clique, CPU-only ones on the rack CPU node', async () => {
    const h = rackHarness();
    const gang = [
      component('frontend', 0),
      component('router', 0),
      component('prefill', 8),
      component('decode', 8),
    ];
    const nodes = await scheduleAll(h, gang);
    expect(new Set(nodes.map((n) => n.split('-')[0]))).toEqual(new Set(['r1']));
    expect(nodes.slice(0, 2)).toEqual(['r1-cpu0', 'r1-cpu0']);
    expect(new Set(nodes.slice(2))).toEqual(new Set(['r1-gpu0', 'r1-gpu1']));
    const annotations = new Map(h.api.bindings.map((b) => [b.pod.name, b.annotations]));
    // The GPU members got the tightest level (one clique); the CPU-only ones the required rack.
    expect(annotations.get('decode')?.['phalanx.dev/placement-level']).toBe(CLIQUE);
    expect(annotations.get('frontend')?.['phalanx.dev/gpu-devices']).toBeUndefined();
    expect(annotations.get('prefill')?.['phalanx.dev/gpu-devices']).toBe('0,1,2,3,4,5,6,7');
    expect(h.reservations()).toBe(0);
    expect(h.state.ledger.holding('uid-frontend')).toBeUndefined();
  });

  it('a CPU-only member filtered before the GPU members exist waits for them instead of guessing', () => {
    const h = rackHarness();
    const frontend = component('frontend', 0);
    h.add(frontend, component('router', 0));
    const out = h.filter(frontend);
    expect(out.feasible).toEqual([]);
    expect(out.error).toMatch(/gang graph waits for 2 member\(s\) to be created/);
    expect(h.reservations()).toBe(0);
  });
});
