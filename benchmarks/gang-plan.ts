// Planning cost of whole gangs over a large synthetic fabric (issue 4, behaviour 8: a 64-member gang
// over 5000 nodes with 3 topology levels, target < 20 ms). Planning only reads the cluster state, so
// every repetition sees the same fabric. Run: npx tsx benchmarks/gang-plan.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterState } from '../src/core/cluster-state.js';
import { planGang, type GangPlanRequest } from '../src/core/gang/gang-planner.js';
import { NodeLabel } from '../src/core/names.js';
import type { PodDemand } from '../src/core/types.js';
import { generateFabric, type FabricSpec } from '../testbed/gpu-fabric.js';

const WARMUP = 5;
const RUNS = 100;

/** 4 zones × 10 leafs × 7 NVLink cliques × 18 nodes (NVL72-like) × 4 GPUs = 5040 nodes. */
const SPEC: FabricSpec = {
  zones: 4,
  leafsPerZone: 10,
  cliquesPerLeaf: 7,
  nodesPerClique: 18,
  gpusPerNode: 4,
  occupancy: 0.1,
  seed: 42,
};

const whole = (count: number): PodDemand => ({ gpu: { kind: 'whole', count }, topology: {} });
const fraction = (milli: number): PodDemand => ({ gpu: { kind: 'fraction', milli }, topology: {} });
const gang = (size: number, demand: PodDemand): PodDemand[] => Array.from({ length: size }, () => demand);

interface Scenario {
  readonly name: string;
  readonly request: GangPlanRequest;
}

const scenarios: Scenario[] = [
  {
    name: '64 × 4 GPUs, preferred clique, required leaf (larger than any clique)',
    request: {
      name: 'big',
      members: gang(64, whole(4)),
      topology: { preferred: NodeLabel.clique, required: NodeLabel.leaf },
    },
  },
  {
    name: '64 × 1 GPU, preferred clique, required zone',
    request: {
      name: 'ones',
      members: gang(64, whole(1)),
      topology: { preferred: NodeLabel.clique, required: NodeLabel.zone },
    },
  },
  {
    name: '64 × 0.5 GPU, no constraint (tightest level)',
    request: { name: 'halves', members: gang(64, fraction(500)), topology: {} },
  },
  {
    name: '8 × 4 GPUs, preferred clique',
    request: { name: 'small', members: gang(8, whole(4)), topology: { preferred: NodeLabel.clique } },
  },
  {
    name: '200 × 4 GPUs, required leaf (infeasible: explanation path)',
    request: { name: 'huge', members: gang(200, whole(4)), topology: { required: NodeLabel.leaf } },
  },
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function main(): void {
  const fabric = generateFabric(SPEC);
  const built = performance.now();
  const { state } = ClusterState.restore({}, fabric.inventories, fabric.occupied);
  const buildMs = performance.now() - built;
  console.log(
    `fabric: ${fabric.inventories.length} nodes, ${fabric.occupied.length} occupied shares, ` +
      `state built in ${buildMs.toFixed(1)} ms`,
  );
  const results = scenarios.map(({ name, request }) => {
    let outcome = '';
    for (let i = 0; i < WARMUP; i++) planGang(state, request);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const plan = planGang(state, request);
      times.push(performance.now() - start);
      outcome = plan.ok ? `level ${plan.level}, domain ${plan.domain}` : plan.reason;
    }
    times.sort((a, b) => a - b);
    const figures = {
      scenario: name,
      runs: RUNS,
      medianMs: round(percentile(times, 50)),
      p95Ms: round(percentile(times, 95)),
      maxMs: round(times[times.length - 1] ?? NaN),
      outcome,
    };
    console.log(
      `${name}\n  median ${figures.medianMs} ms, p95 ${figures.p95Ms} ms, max ${figures.maxMs} ms → ${outcome}`,
    );
    return figures;
  });
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'gang-plan.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        node: process.version,
        fabric: { ...SPEC, nodes: fabric.inventories.length, levels: 3 },
        stateBuildMs: round(buildMs),
        targetMs: 20,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${out}`);
}

main();
