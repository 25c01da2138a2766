// bench:topology — one seeded sequence of LWS-shaped gangs (leader first) offered to each
// configuration on the same fabric (zones → racks → NVL72-style cliques of 18 × 4 GPUs and cliques
// of 8-GPU nodes) until the offered GPUs reach the capacity; locality and packing figures at 50, 70,
// 90 and 100 % offered. Configurations: Phalanx, the stock kube-scheduler, the upstream Workload
// API (GenericWorkload + TopologyAwareWorkloadScheduling, a PodGroup per gang with the clique key),
// and Kueue's topology-aware scheduling (a Topology, a TAS ResourceFlavor and queues built here;
// gangs as Kueue pod groups preferring one clique; the stock scheduler binds).
// Kueue runs last and is started only then: the other configurations' pods are created with no
// Kueue webhook in their path, so their figures are those of a cluster without Kueue (and Kueue's
// with no foreign pods on the nodes). Results: human table or --json, and
// benchmarks/results/topology.json (+ topology.svg, topology-kueue-admin.yaml).
// --pools: the same sequence on the fabric split into two node pools, pool b tainted, every gang
// selecting its pool (pools.ts); figures per pool and over both, each gang judged against its own
// pool's cliques and racks; results in topology-pools.json (+ .svg).
import { loadavg } from 'node:os';
import { Command } from 'commander';
import { startBenchEnv, type BenchNode } from '../lib/bench-env.js';
import { note, progressBar } from '../lib/progress.js';
import { commandLine, machineDescription, writeJsonResult, writeResult } from '../lib/results.js';
import { topologyChart } from '../lib/charts.js';
import { fill } from './fill.js';
import { gangSequence } from './gang-sequence.js';
import { levelMetrics, type LevelMetrics } from './metrics.js';
import { startKueueForBench, type KueueForBench } from '../lib/kueue-bench.js';
import { BENCH_KUEUE_NAMES } from '../lib/kueue-tas-objects.js';
import { CONFIG_NAMES, submitter, type ConfigName } from './submit.js';
import { applyPools, dealPools, POOL_LABEL, poolOfNodes, poolToleration, POOLS, type Pool } from './pools.js';

const LEVELS = [50, 70, 90, 100];
const WORKLOAD_GATES = 'GenericWorkload=true,TopologyAwareWorkloadScheduling=true';

const opts = new Command()
  .option('--fabric <file>', 'fabric spec', 'testbed/fabric/bench-topology.yaml')
  .option('--configs <list>', CONFIG_NAMES.join(','), CONFIG_NAMES.join(','))
  .option('--seed <n>', 'gang sequence seed', '11')
  .option(
    '--gang-timeout-seconds <n>',
    'time a gang may take to bind whole (above Phalanx’s 25 s bind barrier)',
    '40',
  )
  .option('--max-refusals <n>', 'stop a configuration after this many gangs not bound whole', '6')
  .option('--kubeconfig <file>', 'run against this cluster (Phalanx and phalanx-scheduler deployed)')
  .option('--cpu-prof', 'profile Phalanx (node --cpu-prof) into benchmarks/results/')
  .option('--keep-cluster', 'leave the local cluster running')
  .option('--pools', 'split the fabric into two node pools (b tainted); every gang selects one')
  .option('--out <name>', 'results file name under benchmarks/results/ (default topology[-pools])')
  .option('--json', 'print one JSON object on stdout')
  .parse()
  .opts<{
    fabric: string;
    configs: string;
    seed: string;
    gangTimeoutSeconds: string;
    maxRefusals: string;
    kubeconfig?: string;
    cpuProf?: boolean;
    keepCluster?: boolean;
    pools?: boolean;
    out?: string;
    json?: boolean;
  }>();

const NAME = 'bench-topology';
const pooled = opts.pools === true;
const out = opts.out ?? (pooled ? 'topology-pools' : 'topology');
const load1 = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;
const loadAtStart = load1();
const asked = opts.configs.split(',');
for (const c of asked) {
  if (!(CONFIG_NAMES as readonly string[]).includes(c)) throw new Error(`unknown configuration ${c}`);
}
// Kueue last: see the header.
const configs: ConfigName[] = CONFIG_NAMES.filter((c) => asked.includes(c));
const workloadApi = configs.includes('workload-api');
const env = await startBenchEnv({
  name: NAME,
  fabricFile: opts.fabric,
  ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
  ...(workloadApi ? { featureGates: WORKLOAD_GATES, runtimeConfig: 'scheduling.k8s.io/v1beta1=true' } : {}),
  cpuProf: opts.cpuProf === true,
  keepCluster: opts.keepCluster === true,
  log: (line) => note(`[bench:topology] ${line}`),
});
const capacity = env.nodes.reduce((s, n) => s + n.gpus, 0);
const poolOf = pooled ? poolOfNodes(env.nodes) : undefined;
const nodes: (BenchNode & { pool?: Pool })[] = env.nodes.map((n) => {
  const pool = poolOf?.get(n.name);
  return pool === undefined ? n : { ...n, pool };
});
const poolCapacity = new Map<Pool, number>(
  POOLS.map((p) => [p, nodes.filter((n) => n.pool === p).reduce((s, n) => s + n.gpus, 0)]),
);
const gangs = pooled
  ? dealPools(gangSequence(Number(opts.seed), capacity), poolCapacity)
  : gangSequence(Number(opts.seed), capacity);
if (poolOf) {
  try {
    await applyPools(env.kc, poolOf);
    // Phalanx and both kube-schedulers see nodes through informers: let the label and taint updates land.
    await new Promise((r) => setTimeout(r, 3000));
  } catch (err) {
    await env.stop();
    throw err;
  }
  note(
    `[bench:topology] pools: ${POOLS.map((p) => `${p} ${nodes.filter((n) => n.pool === p).length} nodes / ${poolCapacity.get(p)} GPUs, ${gangs.filter((g) => g.pool === p).length} gangs`).join('; ')}`,
  );
}
const loadByConfig: Record<string, { start: number; end: number }> = {};
const rows: LevelMetrics[] = [];
const perGang: Record<string, unknown[]> = {};
const progress = progressBar('bench:topology', configs.length * gangs.length);
let kueue: KueueForBench | undefined;
try {
  for (const config of configs) {
    if (config === 'kueue') {
      kueue = await startKueueForBench({
        kc: env.kc,
        clusterName: env.external ? undefined : NAME,
        setup: {
          namespace: 'topo-kueue',
          capacityGpus: capacity,
          ...(pooled
            ? {
                pools: POOLS.map((p) => {
                  const t = poolToleration(p);
                  return {
                    name: p,
                    capacityGpus: poolCapacity.get(p) ?? 0,
                    nodeLabels: { [POOL_LABEL]: p },
                    ...(t ? { taint: { key: POOL_LABEL, value: p, effect: 'NoSchedule' } } : {}),
                  };
                }),
              }
            : {}),
        },
        log: (line) => note(`[bench:topology] ${line}`),
      });
    }
    const schedulerName = config === 'phalanx' ? env.phalanxScheduler : env.stockScheduler;
    const namespace = `topo-${config}`;
    const loadStart = load1();
    const outcomes = await fill({
      kc: env.kc,
      namespace,
      nodes,
      gangs,
      submitter: submitter(env.kc, namespace, config, schedulerName),
      gangTimeoutMs: Number(opts.gangTimeoutSeconds) * 1000,
      maxRefusals: Number(opts.maxRefusals),
      progress,
    });
    loadByConfig[config] = { start: loadStart, end: load1() };
    for (const pool of pooled ? ['all', ...POOLS] : [undefined]) {
      for (const level of LEVELS) rows.push(levelMetrics(config, level, outcomes, pool));
    }
    perGang[config] = outcomes.map((o, i) => ({ gang: gangs[i]?.name, ...o }));
  }
} finally {
  progress.stop();
  await kueue?.stop();
  await env.stop();
}

const result = {
  benchmark: 'topology',
  command: commandLine('bench:topology'),
  machine: machineDescription(),
  fabric: opts.fabric,
  nodes: env.nodes.length,
  gpus: capacity,
  seed: Number(opts.seed),
  gangs: gangs.length,
  ...(pooled
    ? {
        pools: POOLS.map((p) => ({
          pool: p,
          nodes: nodes.filter((n) => n.pool === p).length,
          gpus: poolCapacity.get(p),
          gangs: gangs.filter((g) => g.pool === p).length,
          nodeLabel: `${POOL_LABEL}=${p}`,
          taint: poolToleration(p) ? `${POOL_LABEL}=${p}:NoSchedule` : null,
        })),
      }
    : {}),
  loadAverage1m: { start: loadAtStart, end: load1(), byConfig: loadByConfig },
  stockSchedulerFeatureGates: workloadApi ? WORKLOAD_GATES : 'none',
  ...(kueue === undefined
    ? {}
    : {
        kueueAdmin: {
          objects: kueue.admin.objects,
          yamlLines: kueue.admin.lines,
          names: BENCH_KUEUE_NAMES,
          installSeconds: kueue.timings,
        },
      }),
  runs: rows,
  gangOutcomes: perGang,
};
writeJsonResult(out, result);
if (kueue !== undefined) writeResult(`${out}-kueue-admin.yaml`, kueue.admin.yaml);
writeResult(`${out}.svg`, topologyChart(result));
if (opts.json) console.log(JSON.stringify(result));
else console.table(rows);
