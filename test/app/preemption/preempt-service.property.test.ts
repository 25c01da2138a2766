// Property: across candidate nodes the preempt verb returns exactly the nodes of least cost, a gang
// costing all its members wherever they run. Model: one-GPU nodes, each held by a single pod or by
// one member of a gang (gangs spread over several nodes, one priority per gang); the preemptor asks
// for one whole GPU. The expected cost per node is written here from the scenario itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PreemptWorld, podShape } from './preempt-harness.js';
import { whole } from '../../support/assignments.js';

const occupantArb = fc.record({
  priority: fc.integer({ min: 0, max: 4 }),
  gang: fc.constantFrom(undefined, undefined, 'g1', 'g2', 'g3'),
});

describe('PreemptService across nodes (property)', () => {
  it('returns exactly the candidate nodes whose full eviction cost is least', () => {
    fc.assert(
      fc.property(
        fc.array(occupantArb, { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 1, max: 5 }),
        (occupants, preemptorPriority) => {
          // A gang has one priority: its first member's.
          const gangPriority = new Map<string, number>();
          for (const o of occupants)
            if (o.gang && !gangPriority.has(o.gang)) gangPriority.set(o.gang, o.priority);
          const world = new PreemptWorld();
          const cost = new Map<string, [number, number, number]>();
          occupants.forEach((o, i) => {
            const node = `n${i}`;
            const priority = o.gang ? (gangPriority.get(o.gang) ?? 0) : o.priority;
            world.node(node, 1).pod(`p${i}`, {
              node,
              priority,
              holds: whole(node, 0),
              ...(o.gang ? { gang: o.gang } : {}),
            });
            const pods = o.gang ? occupants.filter((x) => x.gang === o.gang).length : 1;
            if (priority < preemptorPriority) cost.set(node, [priority, pods, priority * pods]);
          });
          const svc = world.service();
          const preemptor = podShape('preemptor', {
            priority: preemptorPriority,
            requests: { 'nvidia.com/gpu': '1' },
          });
          const candidates = Object.fromEntries(occupants.map((_, i) => [`n${i}`, [`p${i}`]]));
          const out = svc.preempt(preemptor, candidates);

          const key = (c: [number, number, number]) => c[0] * 1e6 + c[1] * 1e3 + c[2];
          const least = Math.min(...[...cost.values()].map(key));
          const expected = [...cost.entries()].filter(([, c]) => key(c) === least).map(([n]) => n);
          expect(Object.keys(out.victims).sort()).toEqual(expected.sort());
          for (const [node, uids] of Object.entries(out.victims)) {
            expect(uids).toEqual([`p${node.slice(1)}`]);
            const gang = occupants[Number(node.slice(1))]?.gang;
            const mates = gang ? occupants.filter((x) => x.gang === gang).length - 1 : 0;
            expect(out.remote[node] ?? []).toHaveLength(mates);
          }
          expect(Object.keys(out.dropped).length + Object.keys(out.victims).length).toBe(occupants.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
