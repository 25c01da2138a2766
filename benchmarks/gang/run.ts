// bench:gang — time from a gang's last member creation to all members bound, gangs created through
// the Job controller (Indexed Jobs), p50/p99 over repeats, for Phalanx and the stock scheduler
// (reference: it binds members one by one, with no all-or-nothing guarantee), in one run; and Kueue
// (kueue-peer.ts: pod groups, topology-aware), run after the others with Kueue started only then.
// Results: human table or --json, and benchmarks/results/gang.json (+ gang.svg).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { stateDirOf } from '../../testbed/cluster.js';
import { startBenchEnv } from '../lib/bench-env.js';
import { ensureNamespace } from '../lib/namespaces.js';
import { watchPods } from '../lib/pod-watch.js';
import { note, progressBar } from '../lib/progress.js';
import { commandLine, machineDescription, writeJsonResult, writeResult } from '../lib/results.js';
import { quantile, round } from '../lib/stats.js';
import { gangChart } from '../lib/charts.js';
import { syntheticFabricYaml } from '../lib/synthetic-fabric.js';
import { runGang } from './gang-latency.js';
import { histogramTotals, type HistogramTotals } from '../lib/metric-sum.js';
import { startKueueForBench, type KueueForBench } from '../lib/kueue-bench.js';
import { KUEUE_GANG_NAMESPACE, runKueuePeer } from './kueue-peer.js';

const opts = new Command()
  .option('--gang-size <list>', 'comma-separated gang sizes', '8,64')
  .option('--nodes <n>', 'fake GPU nodes (8 GPUs each)', '1000')
  .option('--gpus <n>', 'GPUs per member', '8')
  .option('--configs <list>', 'phalanx,stock,kueue', 'phalanx,stock,kueue')
  .option('--repeats <n>', 'gangs per size and configuration', '10')
  .option('--timeout-seconds <n>', 'time bound per gang', '60')
  .option('--kubeconfig <file>', 'run against this cluster (Phalanx and phalanx-scheduler deployed)')
  .option('--gang-commit <mode>', "Phalanx's gangCommit: barrier or eager (local mode)", 'barrier')
  .option('--cpu-prof', 'profile Phalanx (node --cpu-prof) into benchmarks/results/')
  .option('--keep-cluster', 'leave the local cluster running')
  .option('--json', 'print one JSON object on stdout')
  .parse()
  .opts<{
    gangSize: string;
    configs: string;
    nodes: string;
    gpus: string;
    repeats: string;
    timeoutSeconds: string;
    kubeconfig?: string;
    gangCommit: string;
    cpuProf?: boolean;
    keepCluster?: boolean;
    json?: boolean;
  }>();

const sizes = opts.gangSize.split(',').map(Number);
const nodes = Number(opts.nodes);
const repeats = Number(opts.repeats);
const name = `bench-n${nodes}`;
const log = (line: string) => note(`[bench:gang] ${line}`);
const fabricFile = join(dirname(stateDirOf(name)), `${name}-fabric.yaml`);
if (!opts.kubeconfig) {
  await mkdir(dirname(fabricFile), { recursive: true });
  await writeFile(fabricFile, syntheticFabricYaml(nodes));
}

interface Row {
  config: string;
  gangSize: number;
  nodes: number;
  gangs: number;
  bound: number;
  p50Ms: number;
  p99Ms: number;
  /** Phalanx only: the commit (barrier open → every Binding written), as Phalanx measured it. */
  commitP50Ms?: number;
  commitP99Ms?: number;
  samplesMs: number[];
  commitSamplesMs?: number[];
}

if (opts.gangCommit !== 'barrier' && opts.gangCommit !== 'eager') {
  throw new Error(`--gang-commit must be barrier or eager, got ${opts.gangCommit}`);
}
const env = await startBenchEnv({
  name,
  fabricFile,
  phalanxConfig: { gangCommit: opts.gangCommit },
  ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
  cpuProf: opts.cpuProf === true,
  keepCluster: opts.keepCluster === true,
  log,
});
/** One configuration and gang size: `repeats` gangs offered, the bound ones' latencies. */
const row = (config: string, gangSize: number, samples: number[], commits: number[] = []): Row => ({
  config,
  gangSize,
  nodes: env.nodes.length,
  gangs: repeats,
  bound: samples.length,
  p50Ms: round(quantile(samples, 0.5), 1),
  p99Ms: round(quantile(samples, 0.99), 1),
  ...(commits.length > 0
    ? { commitP50Ms: round(quantile(commits, 0.5), 1), commitP99Ms: round(quantile(commits, 0.99), 1) }
    : {}),
  samplesMs: samples.map((s) => round(s, 1)),
  ...(commits.length > 0 ? { commitSamplesMs: commits.map((s) => round(s, 1)) } : {}),
});
/** Phalanx's own commit histogram across one gang (local mode, where its metrics are reachable). */
const commitTotals = async (phalanx: boolean): Promise<HistogramTotals | undefined> =>
  phalanx && env.metricsUrl ? histogramTotals(env.metricsUrl, 'phalanx_gang_commit_seconds') : undefined;
const asked = opts.configs.split(',');
const configs = [
  { config: 'phalanx', schedulerName: env.phalanxScheduler, phalanx: true },
  { config: 'stock', schedulerName: env.stockScheduler, phalanx: false },
].filter((c) => asked.includes(c.config));
const withKueue = asked.includes('kueue');
let kueue: KueueForBench | undefined;
const rows: Row[] = [];
const progress = progressBar('bench:gang', sizes.length * (configs.length + (withKueue ? 1 : 0)) * repeats);
const namespace = 'bench-gang';
try {
  await ensureNamespace(env.kc, namespace);
  const watch = await watchPods(env.kc, namespace);
  try {
    for (const size of sizes) {
      for (const c of configs) {
        const samples: number[] = [];
        const commits: number[] = [];
        for (let r = 0; r < repeats; r++) {
          const before = await commitTotals(c.phalanx);
          const ms = await runGang({
            kc: env.kc,
            watch,
            namespace,
            jobName: `${c.config}-${size}-${r}-${Date.now().toString(36)}`,
            size,
            gpusPerMember: Number(opts.gpus),
            schedulerName: c.schedulerName,
            phalanx: c.phalanx,
            timeoutMs: Number(opts.timeoutSeconds) * 1000,
          });
          if (ms !== undefined) samples.push(ms);
          const after = await commitTotals(c.phalanx);
          if (ms !== undefined && before && after && after.count === before.count + 1) {
            commits.push((after.sum - before.sum) * 1000);
          }
          progress.increment(`${c.config} gang of ${size}`);
        }
        rows.push(row(c.config, size, samples, commits));
      }
    }
  } finally {
    watch.stop();
  }
  if (withKueue) {
    kueue = await startKueueForBench({
      kc: env.kc,
      clusterName: env.external ? undefined : name,
      setup: { namespace: KUEUE_GANG_NAMESPACE, capacityGpus: env.nodes.reduce((s, n) => s + n.gpus, 0) },
      log,
    });
    const samplesBySize = await runKueuePeer({
      kc: env.kc,
      sizes,
      repeats,
      gpusPerMember: Number(opts.gpus),
      schedulerName: env.stockScheduler,
      timeoutMs: Number(opts.timeoutSeconds) * 1000,
      progress,
    });
    for (const [size, samples] of samplesBySize) {
      rows.push(row('kueue', size, samples));
    }
  }
} finally {
  progress.stop();
  await kueue?.stop();
  await env.stop();
}

const result = {
  benchmark: 'gang',
  command: commandLine('bench:gang'),
  machine: machineDescription(),
  cluster: env.external
    ? 'external (--kubeconfig)'
    : 'local cluster (kwokctl, kwok-controller disabled): nodes created Ready, no kubelet simulation, no heartbeats',
  nodes: env.nodes.length,
  gpusPerMember: Number(opts.gpus),
  gangCommit: env.external ? 'as deployed' : opts.gangCommit,
  runs: rows,
};
writeJsonResult(opts.gangCommit === 'eager' ? 'gang-eager' : 'gang', result);
writeResult(opts.gangCommit === 'eager' ? 'gang-eager.svg' : 'gang.svg', gangChart(result));
if (opts.json) console.log(JSON.stringify(result));
else console.table(rows.map(({ samplesMs: _s, commitSamplesMs: _c, ...rest }) => rest));
