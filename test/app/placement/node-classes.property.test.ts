// Fits and best choices are shared between nodes of one class (same model, cordon and multiset of
// device states). On random clusters of look-alike nodes with mixed memory sizes, NVLink islands
// (some leaving devices out) and random binds and releases, every shared answer must equal the one
// computed for that node alone: the same fit and reason, the same device set and the same score.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlacementCache, RejectCause, bestCandidate } from '../../../src/app/placement/placement.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { candidateAssignments, explainNoFit } from '../../../src/core/ledger/device-fit.js';
import { createBestFitPolicy } from '../../../src/core/policies/bestfit.js';
import { createBinpackPolicy } from '../../../src/core/policies/binpack.js';
import { createFgdPolicy } from '../../../src/core/policies/fgd.js';
import { createPhalanxPolicy } from '../../../src/core/policies/phalanx.js';
import type { PlacementPolicy } from '../../../src/core/policies/policy.js';
import { isScoredByFreeView, markScoredByFreeView } from '../../../src/core/policies/score-class-cache.js';
import type { GpuRequest, NodeGpuState, NodeInventory, PodDemand } from '../../../src/core/types.js';
import { churn } from '../../support/ledger-churn.js';

const GIB = 2 ** 30;

/** A node shape; clusters repeat a few of them, so nodes start alike and binds set them apart. */
const template = fc
  .record({
    memories: fc.array(fc.constantFrom(16 * GIB, 16 * GIB, 16 * GIB, 24 * GIB, 0), {
      minLength: 0,
      maxLength: 3,
    }),
    model: fc.constantFrom('A', 'A', 'B'),
    cordoned: fc.boolean(),
    islands: fc.constantFrom('none', 'one', 'pairs', 'partial'),
  })
  .map(({ memories, model, cordoned, islands }) => (name: string): NodeInventory => {
    const indices = memories.map((_, index) => index);
    const islandSets =
      islands === 'one'
        ? [indices]
        : islands === 'pairs'
          ? [indices.filter((i) => i < 2), indices.filter((i) => i >= 2)].filter((s) => s.length > 0)
          : islands === 'partial'
            ? [indices.slice(1)]
            : [];
    return {
      name,
      devices: memories.map((memoryBytes, index) => ({ index, memoryBytes })),
      model,
      islands: islandSets,
      labels: {},
      unschedulable: cordoned && memories.length % 3 === 1,
    };
  });

const gpu: fc.Arbitrary<GpuRequest> = fc.oneof(
  fc.record({ kind: fc.constant('whole' as const), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('fraction' as const), milli: fc.constantFrom(250, 500, 750) }),
  fc.record({
    kind: fc.constant('fraction' as const),
    milli: fc.constantFrom(250, 500),
    memoryBytes: fc.constantFrom(4 * GIB, 10 * GIB),
  }),
  fc.record({ kind: fc.constant('memory' as const), memoryBytes: fc.constantFrom(2 * GIB, 8 * GIB) }),
);

const demand: fc.Arbitrary<PodDemand> = fc.record({
  gpu,
  topology: fc.constant({}),
  models: fc.constantFrom<readonly string[]>([], [], ['A']),
});

const step = fc.oneof(
  fc.record({ kind: fc.constant('bind' as const), demand, node: fc.nat(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

/** The fit of one node computed alone, as the cache did before classes: kind, cause, reason. */
function fitAlone(node: NodeGpuState, d: PodDemand): { kind: string; cause?: string; reason?: string } {
  if (node.devices.length === 0) return { kind: 'unresolvable', cause: RejectCause.noGpus };
  if (d.models && d.models.length > 0 && !d.models.includes(node.inventory.model))
    return { kind: 'unresolvable', cause: RejectCause.model };
  if (d.gpu.kind === 'whole' && d.gpu.count > node.devices.length)
    return { kind: 'unresolvable', cause: RejectCause.tooFewGpus };
  if (candidateAssignments(node, d).length === 0)
    return { kind: 'unschedulable', cause: RejectCause.noRoom, reason: explainNoFit(node, d) };
  return { kind: 'fits' };
}

const policies: Record<string, () => PlacementPolicy[]> = {
  fgd: () => [createFgdPolicy()],
  // Not declared by their modules; declared here to check that their scores qualify.
  phalanx: () => [markScoredByFreeView(createPhalanxPolicy())],
  bestfit: () => [markScoredByFreeView(createBestFitPolicy())],
  // Island-aware, so never shared: exercises the per-node path.
  binpack: () => [createBinpackPolicy()],
  // Pods may name their policy: one cache serves a shared and a per-node policy in turn.
  'fgd and binpack in turn': () => [createFgdPolicy(), createBinpackPolicy()],
};

describe('PlacementCache answers shared per node class', () => {
  it('fgd declares itself scored by free view; binpack does not', () => {
    expect(isScoredByFreeView(createFgdPolicy())).toBe(true);
    expect(isScoredByFreeView(createBinpackPolicy())).toBe(false);
  });

  for (const [name, make] of Object.entries(policies)) {
    it(`equal what each node computes alone (${name})`, () => {
      fc.assert(
        fc.property(
          fc
            .tuple(
              fc.array(template, { minLength: 1, maxLength: 3 }),
              fc.array(fc.nat(), { minLength: 3, maxLength: 10 }),
            )
            .map(([templates, picks]) => picks.map((p, i) => templates[p % templates.length]!(`n${i}`))),
          fc.array(demand, { minLength: 1, maxLength: 3 }),
          fc.array(step, { maxLength: 30 }),
          (inventories, asked, steps) => {
            const { state } = ClusterState.restore({}, inventories, []);
            const cache = new PlacementCache(state);
            const used = make();
            const names = inventories.map((i) => i.name);
            const check = (): void => {
              for (const [i, d] of asked.entries()) {
                const policy = used[i % used.length]!;
                policy.observe?.(d);
                for (const node of names) {
                  const alone = state.nodeState(node)!;
                  const fit = cache.fit(node, d);
                  const expected = fitAlone(alone, d);
                  expect(fit.kind).toBe(expected.kind);
                  if (fit.kind !== 'fits') expect(fit.cause).toBe(expected.cause);
                  if (fit.kind === 'unschedulable') expect(fit.reason).toBe(expected.reason);
                  const best = cache.best(policy, node, d);
                  const scratch = bestCandidate(policy, alone, candidateAssignments(alone, d), d);
                  expect(best && { assignment: best.assignment, score: best.score }).toEqual(
                    fit.kind === 'fits' ? scratch : undefined,
                  );
                }
              }
            };
            check();
            churn(state, names, steps, check);
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
