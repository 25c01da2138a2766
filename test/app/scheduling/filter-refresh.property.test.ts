// A filter outcome over a node list is kept across binds and releases that leave every changed node
// where it was (still fitting, or rejected for the same cause) and patched at the changed nodes when
// one moved; prioritize scores are patched at the changed nodes. After any sequence of changes both
// must equal a computation from scratch: the same feasible nodes and rejection counts, the same scores.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlacementCache } from '../../../src/app/placement/placement.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { parsePodDemand } from '../../../src/core/pod-demand.js';
import type { HostScore } from '../../../src/app/verbs.js';
import { FakeApi } from '../../fakes/app-ports.js';
import { nodeInventoryArbitrary } from '../../support/ledger-arbitraries.js';
import { binpackService } from '../../support/scheduling-fixtures.js';
import { churn, type ChurnStep } from '../../support/ledger-churn.js';

const inventory = (name: string) => nodeInventoryArbitrary(name, 4);

/** Pods of the shapes filtered: whole GPUs or a share, any model or model A. */
const podOf = fc
  .record({
    gpus: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    fraction: fc.constantFrom('0.25', '0.5', '0.75'),
    modelA: fc.boolean(),
  })
  .map(({ gpus, fraction, modelA }): PodShape => ({
    metadata: {
      name: 'p',
      namespace: 'ml',
      uid: 'u',
      annotations: gpus === undefined ? { 'phalanx.dev/gpu-fraction': fraction } : {},
    },
    spec: {
      ...(modelA ? { nodeSelector: { 'nvidia.com/gpu.product': 'A' } } : {}),
      containers: [
        { name: 'c', resources: { limits: gpus === undefined ? {} : { 'nvidia.com/gpu': String(gpus) } } },
      ],
    },
  }));

const step: fc.Arbitrary<ChurnStep> = fc.oneof(
  fc.record({
    kind: fc.constant('bind' as const),
    demand: podOf.map((p) => parsePodDemand(p)),
    node: fc.nat(),
    pick: fc.nat(),
  }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

describe('filter outcome and scores kept across node changes', () => {
  it('equals a computation from scratch after every bind and release', () => {
    let kept = 0;
    let patched = 0;
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 8 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => inventory(`n${i}`)))),
        fc.array(podOf, { minLength: 1, maxLength: 3 }),
        fc.array(step, { maxLength: 30 }),
        (inventories, pods, steps) => {
          const { state } = ClusterState.restore({}, inventories, []);
          const api = new FakeApi();
          const serviceOverState = () => binpackService(state, api);
          const service = serviceOverState();
          const lastScores = new Map<PodShape, HostScore[]>();
          const names = inventories.map((i) => i.name);
          const last = new Map<PodShape, { outcome: unknown; generation: number }>();
          const check = (): void => {
            const scratch = new PlacementCache(state);
            const generation = service.placement.generation();
            for (const pod of pods) {
              const demand = parsePodDemand(pod);
              const outcome = service.filter(pod, names);
              const before = last.get(pod);
              if (before?.outcome === outcome && before.generation !== generation) kept++;
              last.set(pod, { outcome, generation });
              const fits = names.map((name) => scratch.fit(name, demand));
              expect(outcome.feasible).toEqual(names.filter((_, i) => fits[i]!.kind === 'fits'));
              if (outcome.feasible.length === 0) continue;
              const scores = service.prioritize(pod, outcome.feasible);
              expect(scores).toEqual(serviceOverState().prioritize(pod, outcome.feasible));
              const earlier = lastScores.get(pod);
              if (earlier !== undefined && earlier !== scores && scores.some((s, i) => s === earlier[i]))
                patched++;
              lastScores.set(pod, scores);
              const counts = new Map<string, number>();
              for (const fit of fits)
                if (fit.kind !== 'fits') counts.set(fit.cause, (counts.get(fit.cause) ?? 0) + 1);
              expect(new Map(outcome.rejected)).toEqual(counts);
            }
          };
          check();
          churn(state, names, steps, check);
        },
      ),
      { numRuns: 200 },
    );
    // Kept across some node changes: the property covers that path, not only computing afresh.
    expect(kept).toBeGreaterThan(0);
    expect(patched).toBeGreaterThan(0);
  });
});
