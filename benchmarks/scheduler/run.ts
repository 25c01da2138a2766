// bench:scheduler — pods bound per second by the real kube-scheduler with Phalanx in the loop and
// without it, in the same run, on N fake GPU nodes (scheduler_perf method; see throughput.ts and
// ../lib/bench-env.ts for how nodes are kept free of heartbeat load). Results: human table or --json,
// and benchmarks/results/scheduler.json (+ scheduler.svg).
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { stateDirOf } from '../../testbed/cluster.js';
import { startBenchEnv } from '../lib/bench-env.js';
import { note, progressBar } from '../lib/progress.js';
import { commandLine, machineDescription, writeJsonResult, writeResult } from '../lib/results.js';
import { cpuPerPod, type CpuSampler } from '../lib/process-cpu.js';
import { mean, median, round } from '../lib/stats.js';
import { schedulerChart } from '../lib/charts.js';
import { syntheticFabricYaml } from '../lib/synthetic-fabric.js';
import { measureThroughput, netOfIdle, type ThroughputResult } from './throughput.js';
import { captureSchedulerProfile } from '../lib/scheduler-pprof.js';

const opts = new Command()
  .option('--nodes <n>', 'fake GPU nodes (8 GPUs each)', '1000')
  .option('--pods <n>', 'measured pods per configuration', '1000')
  .option('--warmup <n>', 'warm-up pods per configuration (not measured)', '100')
  .option('--concurrency <n>', 'pod creations in flight', '16')
  .option('--max-seconds <n>', 'time bound per configuration', '600')
  .option('--kubeconfig <file>', 'run against this cluster (Phalanx and phalanx-scheduler deployed)')
  .option('--streaming', 'create pods while the scheduler runs (default in local mode: a paused backlog)')
  .option(
    '--filter-mode <mode>',
    "Phalanx's filter answer: allFeasible or bestTier (local mode)",
    'allFeasible',
  )
  .option('--best-tier-max <n>', 'nodes a bestTier answer keeps at most (local mode)', '16')
  .option('--no-prioritize-ahead', "turn off Phalanx's filter.prioritizeAhead (local mode)")
  .option('--cpu-prof', 'profile Phalanx (node --cpu-prof) into benchmarks/results/')
  .option(
    '--scheduler-prof <seconds>',
    'profile each kube-scheduler (Go pprof) for this long from the start of its measured window',
  )
  .option(
    '--rounds <n>',
    "measure without and with Phalanx this many times each, alternating (the ratio is the median of the rounds' ratios), 1-10",
    '1',
  )
  .option('--keep-cluster', 'leave the local cluster running')
  .option('--json', 'print one JSON object on stdout')
  .parse()
  .opts<{
    nodes: string;
    pods: string;
    warmup: string;
    concurrency: string;
    maxSeconds: string;
    kubeconfig?: string;
    streaming?: boolean;
    filterMode: string;
    bestTierMax: string;
    prioritizeAhead: boolean;
    cpuProf?: boolean;
    schedulerProf?: string;
    keepCluster?: boolean;
    rounds: string;
    json?: boolean;
  }>();

if (opts.filterMode !== 'allFeasible' && opts.filterMode !== 'bestTier') {
  throw new Error(`--filter-mode must be allFeasible or bestTier, got ${opts.filterMode}`);
}
const filter = {
  mode: opts.filterMode,
  bestTierMaxNodes: Number(opts.bestTierMax),
  prioritizeAhead: opts.prioritizeAhead,
};
const rounds = Number(opts.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
  throw new Error(`--rounds must be an integer from 1 to 10, got ${opts.rounds}`);
}
const IDLE_SETTLE_MS = 10_000;
const IDLE_SAMPLE_MS = 10_000;

async function idleCpu(sample: CpuSampler, ms: number): Promise<Record<string, number>> {
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sample();
  return cpuPerPod(before, after, ms / 1000);
}

const nodes = Number(opts.nodes);
const pods = Number(opts.pods);
const name = `bench-n${nodes}`;
const log = (line: string) => note(`[bench:scheduler] ${line}`);
const fabricFile = join(dirname(stateDirOf(name)), `${name}-fabric.yaml`);
if (!opts.kubeconfig) {
  await mkdir(dirname(fabricFile), { recursive: true });
  await writeFile(fabricFile, syntheticFabricYaml(nodes));
}

const env = await startBenchEnv({
  name,
  fabricFile,
  ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
  // No gpu-milli node-status writes: the bench's pods need none (the scheduler ignores the resource),
  // and the first pass over every node would land in the stock configuration's measured window.
  phalanxConfig: { filter, advertiseGpuMilli: false },
  cpuProf: opts.cpuProf === true,
  schedulerPprof: opts.schedulerProf !== undefined,
  keepCluster: opts.keepCluster === true,
  log,
});
const profiles: Promise<string>[] = [];
/** Starts the profile of `profile`'s scheduler when asked for (--scheduler-prof). */
const profileOf = (profile: string) => {
  const url = env.pprofUrl?.(profile);
  if (url === undefined) return {};
  const seconds = Number(opts.schedulerProf);
  return { onMeasuring: () => void profiles.push(captureSchedulerProfile(url, profile, seconds)) };
};
const backlogOf = (profile: string) => {
  const process = opts.streaming ? undefined : env.scheduler(profile);
  return process ? { backlog: process } : {};
};
/** One round's pair of measurements. */
interface Round {
  readonly without: ThroughputResult;
  readonly withPhalanx: ThroughputResult;
}
const measuredRounds: Round[] = [];
const ratioOf = (r: Round): number =>
  r.without.podsPerSec > 0 ? round(r.withPhalanx.podsPerSec / r.without.podsPerSec, 3) : 0;
let idleCpuMsPerSec: Record<string, number> | undefined;
const progress = progressBar('bench:scheduler', pods);
try {
  const common = {
    kc: env.kc,
    pods,
    warmupPods: Number(opts.warmup),
    createConcurrency: Number(opts.concurrency),
    maxSeconds: Number(opts.maxSeconds),
    progress,
  };
  /** One measurement of one kube-scheduler, in a namespace of its own. */
  const measure = (schedulerName: string, namespace: string, phalanx: boolean) =>
    measureThroughput({
      ...common,
      namespace,
      schedulerName,
      phalanx,
      ...(env.cpu ? { cpu: env.cpu(schedulerName) } : {}),
      ...backlogOf(schedulerName),
      ...profileOf(schedulerName),
    });
  const stock = () => measure(env.stockScheduler, 'bench-stock', false);
  const phalanx = () => measure(env.phalanxScheduler, 'bench-phalanx', true);
  for (let index = 0; index < rounds; index++) {
    // Stock first in even rounds, Phalanx first in odd ones: a machine whose speed drifts across the
    // run then favours neither side (a single pair measured minutes apart once gave 1.32, once 0.645).
    if (index % 2 === 0) {
      const without = await stock();
      progress.update(0);
      measuredRounds.push({ without, withPhalanx: await phalanx() });
    } else {
      const withPhalanx = await phalanx();
      progress.update(0);
      measuredRounds.push({ without: await stock(), withPhalanx });
    }
    progress.update(0);
    if (rounds > 1) log(`round ${index + 1}/${rounds}: ratio ${ratioOf(measuredRounds.at(-1)!)}`);
  }
  for (const file of await Promise.all(profiles)) log(`kube-scheduler profile: ${file}`);
  // What each process spends with no pod in flight (watch bookmarks, controller resyncs, etcd's own
  // ticks), in CPU ms per second, once the deletions have settled. A slower run spreads more of it
  // over each pod, so the per-pod figures are also given net of it.
  if (env.cpu) {
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    idleCpuMsPerSec = await idleCpu(env.cpu(env.phalanxScheduler), IDLE_SAMPLE_MS);
  }
} finally {
  progress.stop();
  await env.stop();
}

const withPhalanxRuns = measuredRounds.map((r) => r.withPhalanx);
const withoutRuns = measuredRounds.map((r) => r.without);
const result = {
  benchmark: 'scheduler',
  command: commandLine('bench:scheduler'),
  machine: machineDescription(),
  cluster: env.external
    ? 'external (--kubeconfig)'
    : 'local cluster (kwokctl, kwok-controller disabled): nodes created Ready, no kubelet simulation, no heartbeats',
  nodes: env.nodes.length,
  pods,
  loadAverage1m: round(loadavg()[0] ?? 0, 2),
  phalanxFilter: env.external ? 'as deployed' : filter,
  rounds,
  // Over several rounds: mean throughput of each side, the median of the rounds' ratios, and the
  // median of the rounds' bind latencies.
  withPhalanxPodsPerSec: round(mean(withPhalanxRuns.map((r) => r.podsPerSec)), 1),
  withoutPhalanxPodsPerSec: round(mean(withoutRuns.map((r) => r.podsPerSec)), 1),
  ratio: round(median(measuredRounds.map(ratioOf)), 3),
  ...(rounds > 1 ? { roundRatios: measuredRounds.map(ratioOf) } : {}),
  bindP50Ms: round(median(withPhalanxRuns.map((r) => r.bindP50Ms)), 1),
  bindP99Ms: round(median(withPhalanxRuns.map((r) => r.bindP99Ms)), 1),
  withoutPhalanxBindP99Ms: round(median(withoutRuns.map((r) => r.bindP99Ms)), 1),
  idleCpuMsPerSec,
  runs: measuredRounds.flatMap((pair, index) =>
    [pair.withPhalanx, pair.without].map((r) => ({
      ...r,
      ...(rounds > 1 ? { round: index + 1 } : {}),
      ...netOfIdle(r, idleCpuMsPerSec),
    })),
  ),
};
writeJsonResult('scheduler', result);
const tierSuffix = filter.mode === 'bestTier' ? `-besttier${filter.bestTierMaxNodes}` : '';
const aheadSuffix = filter.prioritizeAhead ? '' : '-no-ahead';
writeJsonResult(
  `scheduler-n${result.nodes}${opts.streaming ? '-streaming' : ''}${tierSuffix}${aheadSuffix}`,
  result,
);
writeResult('scheduler.svg', schedulerChart(result));
if (opts.json) console.log(JSON.stringify(result));
else {
  console.table(
    result.runs.map((r) => ({
      ...(rounds > 1 ? { round: r.round } : {}),
      scheduler: r.schedulerName,
      nodes: result.nodes,
      pods: r.pods,
      bound: r.bound,
      'pods/s (mean)': r.podsPerSec,
      'pods/s (p50)': r.podsPerSecP50,
      'bind p50 ms': r.bindP50Ms,
      'bind p99 ms': r.bindP99Ms,
    })),
  );
  console.log(`ratio (with / without Phalanx${rounds > 1 ? ', median of the rounds' : ''}): ${result.ratio}`);
}
