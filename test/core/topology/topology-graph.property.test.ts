// Random sequences of node additions, relabels, removals and capacity changes on a TopologyGraph,
// with few label values so domains empty and refill and node slots and domain ids are reused. After
// each step every query must match a reference kept here with plain Maps and arrays: membership in
// arrival order, domains in creation order, and each summary recomputed from its members.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopologyGraph } from '../../../src/core/topology/topology-graph.js';
import type { NodeGpuState } from '../../../src/core/types.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, stateOf, whole } from '../../support/assignments.js';

const LEVELS = ['rack', 'zone'];
const NODES = ['a', 'b', 'c', 'd', 'e', 'f'];

type Op =
  | { op: 'upsert'; node: string; labels: Record<string, string> }
  | { op: 'remove'; node: string }
  | { op: 'capacity'; node: string; used: number };

/** A few node states: nothing used, device 0 whole, a share of device 1, all of it cordoned. */
function stateFor(node: string, used: number): NodeGpuState | undefined {
  const inv = nodeInventory(node, 2, { unschedulable: used === 3 });
  if (used === 4) return undefined;
  if (used === 1) return stateOf(inv, whole(node, 0));
  if (used === 2) return stateOf(inv, share(node, 1, 350));
  return stateOf(inv);
}

const labelsArb = fc.record(
  { rack: fc.constantFrom('r1', 'r2', ''), zone: fc.constantFrom('z1', 'z2') },
  { requiredKeys: ['zone'] },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('upsert' as const),
      node: fc.constantFrom(...NODES),
      labels: labelsArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('remove' as const), node: fc.constantFrom(...NODES) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('capacity' as const),
      node: fc.constantFrom(...NODES),
      used: fc.integer({ min: 0, max: 4 }),
    }),
  },
);

/** The reference: per level, domain → member names in arrival order (Map order = creation order). */
class Reference {
  readonly members = new Map<string, Map<string, string[]>>(LEVELS.map((l) => [l, new Map()]));
  readonly nodes = new Map<string, { domains: string[]; state: NodeGpuState | undefined }>();

  upsert(node: string, labels: Record<string, string>): void {
    const domains = LEVELS.map((l) => labels[l] || `~node:${node}`);
    const known = this.nodes.get(node);
    if (known !== undefined && known.domains.every((d, i) => d === domains[i])) return;
    if (known !== undefined) this.leave(node, known.domains);
    LEVELS.forEach((level, i) => {
      const byDomain = this.members.get(level) ?? new Map<string, string[]>();
      const domain = domains[i] ?? '';
      byDomain.set(domain, [...(byDomain.get(domain) ?? []), node]);
    });
    this.nodes.set(node, { domains, state: known?.state });
  }

  remove(node: string): void {
    const known = this.nodes.get(node);
    if (known === undefined) return;
    this.leave(node, known.domains);
    this.nodes.delete(node);
  }

  private leave(node: string, domains: readonly string[]): void {
    LEVELS.forEach((level, i) => {
      const byDomain = this.members.get(level);
      const domain = domains[i] ?? '';
      const rest = (byDomain?.get(domain) ?? []).filter((n) => n !== node);
      if (rest.length > 0) byDomain?.set(domain, rest);
      else byDomain?.delete(domain);
    });
  }
}

/** The figures a summary of these nodes must show, from their states alone. */
function expectedFigures(states: readonly (NodeGpuState | undefined)[]) {
  const nodesByFreeWhole: number[] = [];
  const deviceBuckets = new Array<number>(11).fill(0);
  let freeWholeDevices = 0;
  let freeMilli = 0;
  for (const state of states) {
    let freeWhole = 0;
    for (const d of state === undefined || state.inventory.unschedulable ? [] : state.devices) {
      const free = d.mode === 'whole' ? 0 : 1000 - d.usedMilli;
      if (d.mode === 'free') freeWhole += 1;
      freeMilli += free;
      const bucket = Math.floor(free / 100);
      deviceBuckets[bucket] = (deviceBuckets[bucket] ?? 0) + 1;
    }
    freeWholeDevices += freeWhole;
    while (nodesByFreeWhole.length <= freeWhole) nodesByFreeWhole.push(0);
    nodesByFreeWhole[freeWhole] = (nodesByFreeWhole[freeWhole] ?? 0) + 1;
  }
  return { nodeCount: states.length, freeWholeDevices, freeMilli, nodesByFreeWhole, deviceBuckets };
}

/** Everything the graph answers about NODES and the reference's domains, as plain data. */
function answers(graph: TopologyGraph, ref: Reference) {
  return {
    nodes: graph.domains('node'),
    perNode: NODES.map((node) => ({
      has: graph.hasNode(node),
      domains: LEVELS.map((level) => graph.domainOf(node, level)),
      summary: graph.summary('node', node)?.toJSON(),
    })),
    perLevel: LEVELS.map((level) => ({
      domains: graph.domains(level),
      summaries: [...graph.summaries(level)].map(([domain, s]) => [domain, s.toJSON()]),
      members: [...(ref.members.get(level)?.keys() ?? []), 'nowhere'].map((d) => [
        ...graph.nodesIn(level, d),
      ]),
      looked: [...(ref.members.get(level)?.keys() ?? [])].map((d) => graph.summary(level, d)?.toJSON()),
    })),
  };
}

/** What `answers` must give, from the reference alone. */
function expectedAnswers(ref: Reference): ReturnType<typeof answers> {
  const figures = (names: readonly string[]) => expectedFigures(names.map((n) => ref.nodes.get(n)?.state));
  return {
    nodes: [...ref.nodes.keys()],
    perNode: NODES.map((node) => {
      const known = ref.nodes.get(node);
      return {
        has: known !== undefined,
        domains: LEVELS.map((_, i) => known?.domains[i] ?? `~node:${node}`),
        summary: known === undefined ? undefined : expectedFigures([known.state]),
      };
    }),
    perLevel: LEVELS.map((level) => {
      const byDomain = [...(ref.members.get(level) ?? new Map<string, string[]>())];
      return {
        domains: byDomain.map(([domain]) => domain),
        summaries: byDomain.map(([domain, names]) => [domain, figures(names)]),
        members: [...byDomain.map(([, names]) => names), []],
        looked: byDomain.map(([, names]) => figures(names)),
      };
    }),
  };
}

function check(graph: TopologyGraph, ref: Reference): void {
  const got = answers(graph, ref);
  const want = expectedAnswers(ref);
  if (!isDeepStrictEqual(got, want)) expect(got).toEqual(want);
}

describe('TopologyGraph properties', () => {
  it('matches a plain reference through relabels, removals and re-additions (1000 sequences)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
        const graph = new TopologyGraph(LEVELS);
        const ref = new Reference();
        for (const op of ops) {
          if (op.op === 'upsert') {
            graph.upsertNode(op.node, op.labels);
            ref.upsert(op.node, op.labels);
          } else if (op.op === 'remove') {
            graph.removeNode(op.node);
            ref.remove(op.node);
          } else {
            const state = stateFor(op.node, op.used);
            const known = ref.nodes.get(op.node);
            expect(graph.updateCapacity(op.node, state)).toBe(known !== undefined);
            if (known !== undefined) known.state = state;
          }
          check(graph, ref);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a node added again after removal starts with no capacity', () => {
    const graph = new TopologyGraph(LEVELS);
    graph.upsertNode('a', { rack: 'r1', zone: 'z1' });
    graph.updateCapacity('a', stateFor('a', 0));
    graph.removeNode('a');
    graph.upsertNode('b', { rack: 'r1', zone: 'z1' });
    expect(graph.summary('rack', 'r1')?.toJSON()).toEqual(expectedFigures([undefined]));
  });
});
