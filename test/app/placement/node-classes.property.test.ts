// Fits and best choices are shared between nodes of one class (same model, cordon and multiset of
// device states, devices no pod can take anything of counting as one state). On random clusters of
// look-alike nodes with mixed memory sizes, NVLink islands (some leaving devices out), random binds
// and releases, and nodes removed and added again under the same name (with another shape), every
// shared answer must equal the one computed for that node alone: the same fit and reason, the same
// device set and the same score.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlacementCache, bestCandidate, demandShapeKey } from '../../../src/app/placement/placement.js';
import { RejectCause } from '../../../src/app/placement/node-fit.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { candidateAssignments, explainNoFit } from '../../../src/core/ledger/device-fit.js';
import { createBestFitPolicy } from '../../../src/core/policies/bestfit.js';
import { createBinpackPolicy } from '../../../src/core/policies/binpack.js';
import { createFgdPolicy } from '../../../src/core/policies/fgd.js';
import { createPhalanxPolicy } from '../../../src/core/policies/phalanx.js';
import type { PlacementPolicy } from '../../../src/core/policies/policy.js';
import { isScoredByFreeView, markScoredByFreeView } from '../../../src/core/policies/score-class-cache.js';
import type { GpuRequest, NodeGpuState, NodeInventory, PodDemand } from '../../../src/core/types.js';
import type { ChurnStep } from '../../support/ledger-churn.js';

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

/** A node leaves the cluster, or a node (absent or not) is added under its name with a template's shape. */
type NodeStep =
  | { readonly kind: 'remove'; readonly node: number }
  | { readonly kind: 'add'; readonly node: number; readonly template: number };

const step: fc.Arbitrary<ChurnStep | NodeStep> = fc.oneof(
  fc.record({ kind: fc.constant('bind' as const), demand, node: fc.nat(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('bind' as const), demand, node: fc.nat(), pick: fc.nat() }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('remove' as const), node: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), node: fc.nat(), template: fc.nat() }),
);

/** The fit of one node computed alone, as the cache did before classes: kind, cause, reason. */
function fitAlone(
  node: NodeGpuState | undefined,
  d: PodDemand,
): { kind: string; cause?: string; reason?: string } {
  if (node === undefined) return { kind: 'unresolvable', cause: RejectCause.unknownNode };
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

  // With room for 2 classes only, ids are handed out afresh again and again: stale answers filed
  // under an old id would show.
  const cases = [
    ...Object.entries(policies).map(([name, make]) => ({ name, make, maxClasses: undefined })),
    { name: 'phalanx, 2 classes at most', make: policies['phalanx']!, maxClasses: 2 },
  ];
  for (const { name, make, maxClasses } of cases) {
    it(`equal what each node computes alone (${name})`, () => {
      fc.assert(
        fc.property(
          fc
            .tuple(
              fc.array(template, { minLength: 1, maxLength: 3 }),
              fc.array(fc.nat(), { minLength: 3, maxLength: 10 }),
            )
            .map(([templates, picks]) => ({
              templates,
              inventories: picks.map((p, i) => templates[p % templates.length]!(`n${i}`)),
            })),
          fc.array(demand, { minLength: 1, maxLength: 3 }),
          fc.array(step, { maxLength: 30 }),
          ({ templates, inventories }, asked, steps) => {
            const { state } = ClusterState.restore({}, inventories, []);
            const cache = new PlacementCache(state, maxClasses === undefined ? {} : { maxClasses });
            const used = make();
            const names = inventories.map((i) => i.name);
            const check = (): void => {
              for (const [i, d] of asked.entries()) {
                const policy = used[i % used.length]!;
                policy.observe?.(d);
                for (const node of names) {
                  const alone = state.nodeState(node);
                  const fit = cache.fit(node, d);
                  const expected = fitAlone(alone, d);
                  expect(fit.kind).toBe(expected.kind);
                  if (fit.kind !== 'fits') expect(fit.cause).toBe(expected.cause);
                  if (fit.kind === 'unschedulable') expect(fit.reason).toBe(expected.reason);
                  const best = cache.best(policy, node, d);
                  const scratch = alone && bestCandidate(policy, alone, candidateAssignments(alone, d), d);
                  expect(best && { assignment: best.assignment, score: best.score }).toEqual(
                    fit.kind === 'fits' ? scratch : undefined,
                  );
                }
              }
              // An answer per node present and shape at most, however it is kept (slot, name).
              const present = names.filter((n) => state.nodeState(n) !== undefined).length;
              const shapes = new Set(asked.map(demandShapeKey)).size;
              expect(cache.size().fits).toBeLessThanOrEqual(present * shapes);
            };
            check();
            const bound: string[] = [];
            for (const [k, s] of steps.entries()) {
              if (s.kind === 'bind') {
                const present = names.filter((n) => state.nodeState(n) !== undefined);
                const node =
                  present.length > 0 ? state.nodeState(present[s.node % present.length]!)! : undefined;
                const candidates = node ? candidateAssignments(node, s.demand) : [];
                const assignment = candidates[s.pick % Math.max(1, candidates.length)];
                if (assignment === undefined) continue;
                expect(state.commit(`pod-${k}`, assignment).ok).toBe(true);
                bound.push(`pod-${k}`);
              } else if (s.kind === 'release') {
                if (bound.length === 0) continue;
                const [uid] = bound.splice(s.pick % bound.length, 1);
                state.release(uid!);
              } else if (s.kind === 'remove') state.deleteNode(names[s.node % names.length]!);
              else state.applyNode(templates[s.template % templates.length]!(names[s.node % names.length]!));
              check();
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
