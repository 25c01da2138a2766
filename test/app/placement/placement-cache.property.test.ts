// The placement cache keeps fits and best scores per node and forgets only the nodes the ledger
// reports as changed; the node-list memo answers again only while nothing changed. After any
// sequence of binds and releases, every answer must equal the one computed from scratch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestCandidate, demandShapeKey, PlacementCache } from '../../../src/app/placement/placement.js';
import { RejectCause } from '../../../src/app/placement/node-fit.js';
import { NodeListMemo } from '../../../src/app/placement/node-list-memo.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { candidateAssignments } from '../../../src/core/ledger/device-fit.js';
import { createPhalanxPolicy } from '../../../src/core/policies/phalanx.js';
import type { GpuRequest, PodDemand } from '../../../src/core/types.js';
import { nodeInventoryArbitrary } from '../../support/ledger-arbitraries.js';
import { churn } from '../../support/ledger-churn.js';

const inventory = (name: string) => nodeInventoryArbitrary(name, 6);

const gpu: fc.Arbitrary<GpuRequest> = fc.oneof(
  fc.record({ kind: fc.constant('whole' as const), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('fraction' as const), milli: fc.constantFrom(250, 500, 750) }),
);

const demand: fc.Arbitrary<PodDemand> = fc.record({
  gpu,
  topology: fc.constant({}),
  models: fc.constantFrom<readonly string[]>([], ['A']),
});

/** Bind a pod of the demand on a node (its n-th candidate there), or release the n-th bound pod. */
const step = fc.oneof(
  fc.record({
    kind: fc.constant('bind' as const),
    demand,
    node: fc.nat(),
    pick: fc.nat(),
  }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

describe('PlacementCache after binds and releases', () => {
  it('answers fit, best and node-list results equal to a computation from scratch', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => inventory(`n${i}`)))),
        fc.array(demand, { minLength: 1, maxLength: 3 }),
        fc.array(step, { maxLength: 25 }),
        (inventories, asked, steps) => {
          const { state } = ClusterState.restore({}, inventories, []);
          const cache = new PlacementCache(state);
          const memo = new NodeListMemo<(number | undefined)[]>(cache);
          const policy = createPhalanxPolicy();
          const names = inventories.map((i) => i.name);
          const check = (): void => {
            for (const d of asked) {
              policy.observe?.(d);
              const scratch = names.map((name) => {
                const node = state.nodeState(name)!;
                const candidates = candidateAssignments(node, d);
                expect(cache.fit(name, d).kind === 'fits').toBe(candidates.length > 0);
                return bestCandidate(policy, node, candidates, d);
              });
              for (const [i, name] of names.entries()) {
                const best = cache.best(policy, name, d);
                expect(best && { assignment: best.assignment, score: best.score }).toEqual(scratch[i]);
              }
              const shape = demandShapeKey(d);
              const listed = memo.get(shape, cache.scoresFor(policy, shape), names, () =>
                names.map((name) => cache.best(policy, name, d)?.score),
              );
              expect(listed).toEqual(scratch.map((s) => s?.score));
            }
          };
          check();
          churn(state, names, steps, check);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("answers through a list's slots as by name, while nodes join, leave and change", () => {
    // The list names every node that will ever exist plus one that never does; nodes start absent
    // or present at random, then join, leave, bind and release. The verbs' passes over the list
    // (rejectionCauses, scoreList: slots, then class answers) must give what by name and a
    // computation from scratch give.
    const change = fc.oneof(
      fc.record({ kind: fc.constant('toggle' as const), node: fc.nat() }),
      fc.record({ kind: fc.constant('bind' as const), demand, node: fc.nat(), pick: fc.nat() }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => inventory(`n${i}`)))),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        fc.array(demand, { minLength: 1, maxLength: 2 }),
        fc.array(change, { maxLength: 20 }),
        (inventories, present, asked, changes) => {
          const { state } = ClusterState.restore(
            {},
            inventories.filter((_, i) => present[i]),
            [],
          );
          const cache = new PlacementCache(state);
          const policy = createPhalanxPolicy();
          const list = Object.freeze([...inventories.map((i) => i.name), 'never-a-node']);
          const check = (): void => {
            for (const d of asked) {
              policy.observe?.(d);
              const shape = demandShapeKey(d);
              const fits = cache.fitsFor(shape);
              const scores = cache.scoresFor(policy, shape);
              // By list (as filter and prioritize read one), then by name (as bind asks, with devices).
              const causes = cache.rejectionCauses(list, d, shape, fits);
              const listed = cache.scoreList(policy, list, d, shape, scores, fits);
              for (const [i, name] of list.entries()) {
                const node = state.nodeState(name);
                const fit = cache.fit(name, d, shape, fits);
                if (node === undefined) {
                  expect(fit.kind).toBe('unresolvable');
                  expect(causes[i]).toBe(RejectCause.unknownNode);
                  expect(listed[i]).toBeNaN();
                  expect(cache.best(policy, name, d, shape, scores, fits)).toBeUndefined();
                  continue;
                }
                const candidates = candidateAssignments(node, d);
                expect(fit.kind === 'fits').toBe(candidates.length > 0);
                expect(causes[i]).toBe(fit.kind === 'fits' ? undefined : fit.cause);
                const expected = bestCandidate(policy, node, candidates, d);
                expect(listed[i]).toBe(expected?.score ?? Number.NaN);
                const best = cache.best(policy, name, d, shape, scores, fits);
                expect(best && { assignment: best.assignment, score: best.score }).toEqual(expected);
              }
            }
          };
          check();
          const bound: string[] = [];
          let uid = 0;
          for (const c of changes) {
            if (c.kind === 'toggle') {
              const inv = inventories[c.node % inventories.length]!;
              if (state.nodeState(inv.name) === undefined) state.applyNode(inv);
              // Its pods go with it; releasing one later finds nothing, which is fine here.
              else state.deleteNode(inv.name);
            } else if (c.kind === 'bind') {
              const names = inventories.map((i) => i.name).filter((n) => state.nodeState(n) !== undefined);
              if (names.length === 0) continue;
              const node = state.nodeState(names[c.node % names.length]!)!;
              const assignment = candidateAssignments(node, c.demand)[0];
              if (assignment === undefined) continue;
              const id = `pod-${uid++}`;
              if (state.commit(id, assignment).ok) bound.push(id);
            } else if (bound.length > 0) {
              const [id] = bound.splice(c.pick % bound.length, 1);
              state.release(id!);
            }
            check();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
