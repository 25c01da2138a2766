// The fragmentation scorer counts a candidate's growth from the devices it changes (fragment-delta.ts)
// and the best-fit term sums instead of building views; both must give exactly the figures of the
// straightforward computation (views before and after, expected fragment of each) on any ledger.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidateAssignments } from '../../../src/core/ledger/device-fit.js';
import { leftover, REFERENCE_CPU_MILLI, REFERENCE_GPU_MILLI } from '../../../src/core/policies/bestfit.js';
import { createFragmentationScorer } from '../../../src/core/policies/fgd.js';
import { expectedFragment } from '../../../src/core/policies/fragmentation.js';
import { createModelScarcity } from '../../../src/core/policies/model-demand.js';
import {
  deviceFree,
  freeView,
  shareFor,
  totalFreeMilli,
  type FreeView,
} from '../../../src/core/policies/node-view.js';
import { createPhalanxPolicy, PHALANX_WEIGHTS } from '../../../src/core/policies/phalanx.js';
import type { Candidate } from '../../../src/core/policies/policy.js';
import { PodTypeStats, type PodTypeTable } from '../../../src/core/policies/pod-types.js';
import type { DeviceState, GpuRequest, NodeGpuState, PodDemand } from '../../../src/core/types.js';

const GIB = 2 ** 30;
const DEVICE_MEMORY = 16 * GIB;

// Few distinct values, so that generated nodes often share a state (the memo's shared path).
const device = fc.oneof(
  fc.constant({ mode: 'free' as const, usedMilli: 0 }),
  fc.constant({ mode: 'whole' as const, usedMilli: 1000 }),
  fc.record({ mode: fc.constant('shared' as const), usedMilli: fc.constantFrom(250, 500, 750, 1000) }),
);

const node = (name: string) =>
  fc
    .record({
      model: fc.constantFrom('A', 'B'),
      devices: fc.array(device, { minLength: 1, maxLength: 8 }),
      split: fc.boolean(),
      host: fc.option(
        fc.record({ cpu: fc.constantFrom(8000, 16000), used: fc.constantFrom(0, 2000, 8000) }),
        { nil: undefined },
      ),
    })
    .map(({ model, devices, split, host }): NodeGpuState => {
      const states: DeviceState[] = devices.map((d, index) => ({
        index,
        memoryBytes: DEVICE_MEMORY,
        usedMilli: d.usedMilli,
        usedMemoryBytes: (DEVICE_MEMORY * d.usedMilli) / 1000,
        mode: d.mode,
      }));
      const indices = states.map((d) => d.index);
      const half = Math.ceil(indices.length / 2);
      return {
        inventory: {
          name,
          devices: states.map((d) => ({ index: d.index, memoryBytes: d.memoryBytes })),
          model,
          islands: split ? [indices.slice(0, half), indices.slice(half)] : [],
          labels: {},
          unschedulable: false,
        },
        devices: states,
        ...(host && {
          host: {
            cpuMilli: host.cpu,
            cpuMilliUsed: host.used,
            memoryBytes: 64 * GIB,
            memoryBytesUsed: 8 * GIB,
          },
        }),
      };
    });

const gpu: fc.Arbitrary<GpuRequest> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('whole' as const), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('fraction' as const), milli: fc.constantFrom(100, 250, 500, 750) }),
  fc.record({ kind: fc.constant('memory' as const), memoryBytes: fc.constantFrom(2 * GIB, 6 * GIB) }),
);

const demand: fc.Arbitrary<PodDemand> = fc.record({
  gpu,
  topology: fc.constant({}),
  cpuMilli: fc.constantFrom(0, 1000, 4000),
  models: fc.constantFrom<readonly string[]>([], ['A'], ['A', 'B']),
});

/** The node as it would be with the candidate placed on it. */
function freeViewAfter(candidate: Candidate): FreeView {
  const { node, assignment, demand } = candidate;
  const host = node.host;
  return {
    model: node.inventory.model,
    cpuFree: host ? host.cpuMilli - host.cpuMilliUsed - (demand.cpuMilli ?? 0) : Infinity,
    memFree: host ? host.memoryBytes - host.memoryBytesUsed - (demand.memoryBytes ?? 0) : Infinity,
    freeMilli: node.devices
      .map((d) => deviceFree(d.mode, d.usedMilli) - (shareFor(assignment.devices, d.index)?.milli ?? 0))
      .sort((a, b) => a - b),
  };
}

/** Expected fragment growth computed from the two views, with nothing cached. */
function directFragmentIncrease(candidate: Candidate, table: PodTypeTable): number {
  if (table.total === 0) return 0;
  const before = freeView(candidate.node);
  const after = freeViewAfter(candidate);
  const taken = totalFreeMilli(before) - totalFreeMilli(after);
  return (
    (expectedFragment(after, table) - expectedFragment(before, table) - table.gpuLess * taken) / table.total
  );
}

function directLeftover(candidate: Candidate): number {
  const after = freeViewAfter(candidate);
  const cpu = Number.isFinite(after.cpuFree) ? after.cpuFree / REFERENCE_CPU_MILLI : 0;
  return 0.5 * cpu + 0.5 * (totalFreeMilli(after) / REFERENCE_GPU_MILLI);
}

/**
 * GPU milli the node's free CPU stops covering at the table's CPU milli per GPU milli (GPU types
 * only), after the placement minus before, at least 0; 0 without host figures or GPU types.
 */
function directCpuStarved(candidate: Candidate, table: PodTypeTable): number {
  let cpuAsked = 0;
  let gpuAsked = 0;
  for (const { type, count } of table.types) {
    if (type.gpuCount === 0) continue;
    cpuAsked += count * type.cpuMilli;
    gpuAsked += count * type.gpuCount * type.gpuMilli;
  }
  const host = candidate.node.host;
  if (host === undefined || host.cpuMilli <= 0 || gpuAsked === 0 || cpuAsked === 0) return 0;
  const ratio = cpuAsked / gpuAsked;
  const free = candidate.node.devices.reduce(
    (sum, d) => sum + (d.mode === 'whole' ? 0 : 1000 - d.usedMilli),
    0,
  );
  const taken = candidate.assignment.devices.reduce((sum, d) => sum + d.milli, 0);
  const cpuFree = host.cpuMilli - host.cpuMilliUsed;
  const uncovered = (gpu: number, cpu: number): number => Math.max(0, gpu - cpu / ratio);
  return Math.max(
    0,
    uncovered(free - taken, cpuFree - (candidate.demand.cpuMilli ?? 0)) - uncovered(free, cpuFree),
  );
}

/** Share of the table's GPU milli that names no model (1 when it holds none). */
function directUnconstrainedShare(table: PodTypeTable): number {
  let all = 0;
  let named = 0;
  for (const { type, count } of table.types) {
    all += count * type.gpuCount * type.gpuMilli;
    if (type.models.length > 0) named += count * type.gpuCount * type.gpuMilli;
  }
  return all > 0 ? 1 - named / all : 1;
}

/** Every feasible candidate of every demand on every node, in generation order. */
function candidatesOf(nodes: readonly NodeGpuState[], demands: readonly PodDemand[]): Candidate[] {
  const out: Candidate[] = [];
  for (const d of demands) {
    for (const n of nodes) {
      for (const assignment of candidateAssignments(n, d)) out.push({ node: n, assignment, demand: d });
    }
  }
  return out;
}

const cluster = fc
  .integer({ min: 1, max: 12 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => node(`n${i}`))));

describe('fragmentation counted from the changed devices, and best-fit sums', () => {
  it('give exactly the straightforward figures while the learned table changes between pods', () => {
    fc.assert(
      fc.property(
        cluster,
        fc.array(demand, { minLength: 1, maxLength: 6 }),
        fc.array(demand, { maxLength: 8 }),
        (nodes, demands, learned) => {
          const stats = new PodTypeStats({ refreshEvery: 3 });
          const scorer = createFragmentationScorer(stats);
          const candidates = candidatesOf(nodes, demands);
          // Score every candidate, learning one more pod in between, and again once all are learned:
          // every table version meets states the memo has seen before and states it has not.
          for (const [i, candidate] of candidates.entries()) {
            const learn = learned[i % Math.max(1, learned.length)];
            if (learn !== undefined && i < learned.length) scorer.observe(learn);
            expect(scorer.fragmentIncrease(candidate)).toBe(directFragmentIncrease(candidate, stats.table()));
            expect(leftover(candidate)).toBe(directLeftover(candidate));
          }
          for (const candidate of [...candidates].reverse()) {
            expect(scorer.fragmentIncrease(candidate)).toBe(directFragmentIncrease(candidate, stats.table()));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leave the phalanx score equal to its formula over uncached figures', () => {
    fc.assert(
      fc.property(cluster, fc.array(demand, { minLength: 1, maxLength: 8 }), (nodes, demands) => {
        const policy = createPhalanxPolicy();
        const stats = new PodTypeStats();
        const modelScarcity = createModelScarcity(stats);
        for (const d of demands) {
          policy.observe?.(d);
          stats.observe(d);
        }
        for (const candidate of candidatesOf(nodes, demands)) {
          const taken = candidate.assignment.devices.reduce((sum, d) => sum + d.milli, 0);
          const starved = directCpuStarved(candidate, stats.table());
          const expected =
            -directFragmentIncrease(candidate, stats.table()) -
            PHALANX_WEIGHTS.bestFit * directLeftover(candidate) -
            PHALANX_WEIGHTS.stranded * directUnconstrainedShare(stats.table()) * starved -
            modelScarcity.of(candidate.node.inventory.model) * (taken + starved);
          expect(policy.score(candidate)).toBe(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
