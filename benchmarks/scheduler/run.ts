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
import { round } from '../lib/stats.js';
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
  .option('--cpu-prof', 'profile Phalanx (node --cpu-prof) into benchmarks/results/')
  .option(
    '--scheduler-prof <seconds>',
    'profile each kube-scheduler (Go pprof) for this long from the start of its measured window',
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
    cpuProf?: boolean;
    schedulerProf?: string;
    keepCluster?: boolean;
    json?: boolean;
  }>();

if (opts.filterMode !== 'allFeasible' && opts.filterMode !== 'bestTier') {
  throw new Error(`--filter-mode must be allFeasible or bestTier, got ${opts.filterMode}`);
}
const filter = { mode: opts.filterMode, bestTierMaxNodes: Number(opts.bestTierMax) };
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
let without: ThroughputResult;
let idleCpuMsPerSec: Record<string, number> | undefined;
let withPhalanx: ThroughputResult;
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
  without = await measureThroughput({
    ...common,
    namespace: 'bench-stock',
    schedulerName: env.stockScheduler,
    phalanx: false,
    ...(env.cpu ? { cpu: env.cpu(env.stockScheduler) } : {}),
    ...backlogOf(env.stockScheduler),
    ...profileOf(env.stockScheduler),
  });
  progress.update(0);
  withPhalanx = await measureThroughput({
    ...common,
    namespace: 'bench-phalanx',
    schedulerName: env.phalanxScheduler,
    phalanx: true,
    ...(env.cpu ? { cpu: env.cpu(env.phalanxScheduler) } : {}),
    ...backlogOf(env.phalanxScheduler),
    ...profileOf(env.phalanxScheduler),
  });
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
  withPhalanxPodsPerSec: withPhalanx.podsPerSec,
  withoutPhalanxPodsPerSec: without.podsPerSec,
  ratio: without.podsPerSec > 0 ? round(withPhalanx.podsPerSec / without.podsPerSec, 3) : 0,
  bindP50Ms: withPhalanx.bindP50Ms,
  bindP99Ms: withPhalanx.bindP99Ms,
  withoutPhalanxBindP99Ms: without.bindP99Ms,
  idleCpuMsPerSec,
  runs: [withPhalanx, without].map((r) => ({ ...r, ...netOfIdle(r, idleCpuMsPerSec) })),
};
writeJsonResult('scheduler', result);
const tierSuffix = filter.mode === 'bestTier' ? `-besttier${filter.bestTierMaxNodes}` : '';
writeJsonResult(`scheduler-n${result.nodes}${opts.streaming ? '-streaming' : ''}${tierSuffix}`, result);
writeResult('scheduler.svg', schedulerChart(result));
if (opts.json) console.log(JSON.stringify(result));
else {
  console.table(
    [withPhalanx, without].map((r) => ({
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
  console.log(`ratio (with / without Phalanx): ${result.ratio}`);
}
