// A full replay of one trace with one policy over several seeds, reduced to the published metric.
import { curveOf, mean, unallocatedPctAt, type CurvePoint } from './metrics.js';
import { createReplayPolicy, type ReplayPolicyName } from './replay-policies.js';
import { seededRng } from './seeded-rng.js';
import { SimCluster } from './sim-cluster.js';
import { simulate, type SimulationSeries } from './simulate.js';
import { podDemand } from './trace-convert.js';
import type { TraceNode, TracePod } from './trace-csv.js';
import { buildWorkload } from './workload.js';
import type { PhalanxWeights } from '../core/policies/phalanx.js';

/** Pods are inflated to this multiple of GPU capacity (the FGD protocol). */
export const INFLATION_RATIO = 1.3;

export interface ReplayInput {
  readonly policy: ReplayPolicyName;
  readonly nodes: readonly TraceNode[];
  readonly pods: readonly TracePod[];
  readonly podsFile: string;
  readonly seeds: readonly number[];
  /** Replaces the shipped phalanx constants (cross-validation). */
  readonly phalanxWeights?: PhalanxWeights;
  /** Progress: pods done in the current seed, pods in it, seed. */
  readonly onProgress?: (done: number, total: number, seed: number) => void;
}

export interface SeedResult {
  readonly seed: number;
  readonly unallocatedPctAt100: number;
  readonly submittedPods: number;
  readonly failedPods: number;
  readonly seconds: number;
  readonly curve: readonly CurvePoint[];
}

export interface ReplayResult {
  readonly policy: string;
  readonly pods: string;
  readonly nodes: number;
  readonly gpus: number;
  readonly seeds: readonly number[];
  readonly unallocatedPctAt100: number;
  readonly perSeed: readonly {
    seed: number;
    unallocatedPctAt100: number;
    failedPods: number;
    pods: number;
  }[];
  readonly curve: readonly CurvePoint[];
  readonly seconds: number;
}

/** Workload and tie-breaking draw from separate streams so policies see the same pod sequence. */
const TIE_STREAM = 0x5eed;

/** One seed's replay as it ran: the cluster in its final state, the pods submitted, the series. */
export interface SeedRun {
  readonly cluster: SimCluster;
  readonly pods: readonly TracePod[];
  readonly series: SimulationSeries;
}

/** The trace's GPUs per model, as the extender's informer would count them (every node schedulable). */
function gpusByModel(nodes: readonly TraceNode[]): Map<string, number> {
  const gpus = new Map<string, number>();
  for (const n of nodes) if (n.gpus > 0) gpus.set(n.model, (gpus.get(n.model) ?? 0) + n.gpus);
  return gpus;
}

/**
 * Replays one seed. `podsOf` may cut the submitted sequence (diagnostics stop where arrivals reach a
 * share of capacity); the pods and the tie-breaking draws are the ones the full replay uses.
 */
export function simulateSeed(
  input: ReplayInput,
  seed: number,
  podsOf: (pods: TracePod[], capacityMilli: number) => TracePod[] = (pods) => pods,
): SeedRun {
  const cluster = new SimCluster(input.nodes);
  const workload = buildWorkload(input.pods, cluster.capacityMilli, INFLATION_RATIO, seededRng(seed));
  const pods = podsOf(workload, cluster.capacityMilli);
  const rng = seededRng(seed ^ TIE_STREAM);
  const { policy, pure, knowsWorkload } = createReplayPolicy(input.policy, rng, input.phalanxWeights);
  policy.observeCapacity?.(gpusByModel(input.nodes));
  // A policy given the workload is given all of it, however much of it is replayed.
  if (knowsWorkload) for (const pod of workload) policy.observe?.(podDemand(pod));
  const step = Math.max(1, Math.floor(pods.length / 200));
  const series = simulate(cluster, pods, policy, {
    pureScores: pure,
    observe: !knowsWorkload,
    rng,
    onPod: (i) => {
      if ((i + 1) % step === 0 || i + 1 === pods.length) input.onProgress?.(i + 1, pods.length, seed);
    },
  });
  return { cluster, pods, series };
}

export function replaySeed(input: ReplayInput, seed: number, clock: () => number): SeedResult {
  const started = clock();
  const { cluster, pods, series } = simulateSeed(input, seed);
  return {
    seed,
    unallocatedPctAt100: unallocatedPctAt(series, cluster.capacityMilli, 100),
    submittedPods: pods.length,
    failedPods: series.failedPods,
    seconds: (clock() - started) / 1000,
    curve: curveOf(series, cluster.capacityMilli),
  };
}

export function runReplay(input: ReplayInput, clock: () => number): ReplayResult {
  const started = clock();
  const seeds = input.seeds.map((seed) => replaySeed(input, seed, clock));
  return combineSeeds(input, seeds, (clock() - started) / 1000);
}

/**
 * One result from the seeds' results, in the order given: the metric and each curve point are means
 * over the seeds. Also used to put together seeds that ran apart (benchmarks/replay, on workers).
 */
export function combineSeeds(
  run: Pick<ReplayInput, 'policy' | 'podsFile' | 'nodes'>,
  seeds: readonly SeedResult[],
  seconds: number,
): ReplayResult {
  const first = seeds[0]?.curve ?? [];
  const curve = first.map((point, k) => ({
    arrivedPct: point.arrivedPct,
    unallocatedPct: mean(seeds.map((s) => s.curve[k]?.unallocatedPct ?? NaN)),
  }));
  return {
    policy: run.policy,
    pods: run.podsFile,
    nodes: run.nodes.length,
    gpus: run.nodes.reduce((sum, n) => sum + n.gpus, 0),
    seeds: seeds.map((s) => s.seed),
    unallocatedPctAt100: mean(seeds.map((s) => s.unallocatedPctAt100)),
    perSeed: seeds.map((s) => ({
      seed: s.seed,
      unallocatedPctAt100: s.unallocatedPctAt100,
      failedPods: s.failedPods,
      pods: s.submittedPods,
    })),
    curve,
    seconds,
  };
}
