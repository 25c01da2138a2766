// bench:preemption — Phalanx's own preemption of whole gangs at scale: every GPU node of a synthetic
// fabric (default 1000 × 8 GPUs) is filled with one low-priority 8-GPU pod, then a high-priority gang
// of 8 (required level: NVLink clique) or 64 (required level: rack) × 8-GPU members arrives. Phalanx
// decides, evicts the cheapest domain's pods through the Eviction API, holds the freed nodes and the
// gang binds. Measured per gang from this process's pod watch: first victim deleted → every member
// bound (the decision precedes the first eviction by one API call), last member created → first
// eviction (the scheduler reaching Phalanx, then the decision), and last member created → every
// member bound. After each gang the evicted nodes are refilled, so every gang meets a full fabric.
// Results: a table (or --json) and benchmarks/results/preemption.json.
import { SchedulingV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { NodeLabel, Req } from '../../src/core/names.js';
import { stateDirOf } from '../../testbed/cluster.js';
import { startBenchEnv } from '../lib/bench-env.js';
import { ensureNamespace, forceDeletePods } from '../lib/namespaces.js';
import { watchNamespacePods } from '../lib/pod-watch.js';
import { benchPodSpec } from '../lib/pods.js';
import { note } from '../lib/progress.js';
import { commandLine, machineDescription, writeJsonResult } from '../lib/results.js';
import { quantile, round } from '../lib/stats.js';
import { syntheticFabricYaml } from '../lib/synthetic-fabric.js';
import { measureDecisions } from './decision.js';

const opts = new Command()
  .option('--gang-size <list>', 'comma-separated gang sizes', '8,64')
  .option('--nodes <n>', 'fake GPU nodes (8 GPUs each)', '1000')
  .option('--repeats <n>', 'gangs per size', '5')
  .option('--timeout-seconds <n>', 'time bound per gang', '120')
  .option('--keep-cluster', 'leave the local cluster running')
  .option('--json', 'print one JSON object on stdout')
  .parse()
  .opts<{
    gangSize: string;
    nodes: string;
    repeats: string;
    timeoutSeconds: string;
    keepCluster?: boolean;
    json?: boolean;
  }>();

const sizes = opts.gangSize.split(',').map(Number);
const nodeCount = Number(opts.nodes);
const repeats = Number(opts.repeats);
for (const [name, value, max] of [
  ['--nodes', nodeCount, 5_000],
  ['--repeats', repeats, 100],
  ['--timeout-seconds', Number(opts.timeoutSeconds), 3_600],
] as const) {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`${name} must be an integer from 1 to ${max}, got ${value}`);
}
for (const size of sizes) {
  if (!Number.isInteger(size) || size < 1 || size > 72)
    throw new Error(`--gang-size entries must be integers from 1 to 72 (one rack), got ${size}`);
}
// The decision's CPU cost, in-process, before any cluster load.
const decisions = measureDecisions(nodeCount, sizes, 10);
const name = `bench-preempt-n${nodeCount}`;
const log = (line: string) => note(`[bench:preemption] ${line}`);
const fabricFile = join(dirname(stateDirOf(name)), `${name}-fabric.yaml`);
await mkdir(dirname(fabricFile), { recursive: true });
await writeFile(fabricFile, syntheticFabricYaml(nodeCount));

const NAMESPACE = 'bench-preempt';
const LOW = 'bench-low';
const HIGH = 'bench-high';
const GPUS = 8;
/** A synthetic clique holds 18 nodes: larger gangs need their rack. */
const CLIQUE_NODES = 18;

interface Seen {
  createdMs: number;
  boundMs?: number;
  deletedMs?: number;
  node?: string;
  labels: Record<string, string>;
}

interface Sample {
  gangSize: number;
  evictionToBoundMs: number;
  createdToEvictionMs: number;
  createdToBoundMs: number;
  victims: number;
  victimsElsewhere: number;
}

const env = await startBenchEnv({ name, fabricFile, keepCluster: opts.keepCluster === true, log });
const core = env.kc.makeApiClient(CoreV1Api);
const seen = new Map<string, Seen>();
const samples: Sample[] = [];
try {
  await ensureNamespace(env.kc, NAMESPACE);
  await priorityClasses(env.kc);
  const watch = await watchNamespacePods(env.kc, NAMESPACE, (phase, pod) => {
    const podName = pod.metadata?.name ?? '';
    const now = performance.now();
    let s = seen.get(podName);
    if (s === undefined) seen.set(podName, (s = { createdMs: now, labels: pod.metadata?.labels ?? {} }));
    if (pod.spec?.nodeName && s.boundMs === undefined) {
      s.boundMs = now;
      s.node = pod.spec.nodeName;
    }
    if (phase === 'DELETED' && s.deletedMs === undefined) s.deletedMs = now;
  });
  try {
    const gpuNodes = env.nodes.filter((n) => n.gpus >= GPUS).map((n) => n.name);
    log(`filling ${gpuNodes.length} nodes with low-priority 8-GPU pods`);
    let generation = 0;
    const fill = async (nodes: readonly string[]): Promise<void> => {
      generation += 1;
      const pods = nodes.map((node) => lowPod(`low-${generation}-${node}`, node));
      await createAll(core, pods);
      const names = new Set(pods.map((p) => p.metadata?.name ?? ''));
      const ok = await watch.until(
        () => [...names].every((n) => seen.get(n)?.boundMs !== undefined),
        Number(opts.timeoutSeconds) * 1000 * 4,
      );
      if (!ok) throw new Error(`the fill of ${names.size} low-priority pods did not bind in time`);
    };
    await fill(gpuNodes);
    for (const size of sizes) {
      for (let r = 0; r < repeats; r++) {
        const id = `hi-${size}-${r}`;
        const start = performance.now();
        const members = Array.from({ length: size }, (_, i) => highPod(`${id}-${i}`, id, size));
        await createAll(core, members);
        const names = members.map((p) => p.metadata?.name ?? '');
        const bound = await watch.until(
          () => names.every((n) => seen.get(n)?.boundMs !== undefined),
          Number(opts.timeoutSeconds) * 1000,
        );
        const victims = [...seen.entries()].filter(
          ([n, s]) => n.startsWith('low-') && s.deletedMs !== undefined && s.deletedMs >= start,
        );
        if (!bound) {
          log(`gang ${id} did not bind within ${opts.timeoutSeconds} s (${victims.length} victims)`);
        } else {
          const boundAt = Math.max(...names.map((n) => seen.get(n)?.boundMs ?? Infinity));
          const lastCreated = Math.max(...names.map((n) => seen.get(n)?.createdMs ?? 0));
          const firstEviction = Math.min(...victims.map(([, s]) => s.deletedMs ?? Infinity));
          const gangNodes = new Set(names.map((n) => seen.get(n)?.node));
          const sample: Sample = {
            gangSize: size,
            evictionToBoundMs: round(boundAt - firstEviction, 1),
            createdToEvictionMs: round(firstEviction - lastCreated, 1),
            createdToBoundMs: round(boundAt - lastCreated, 1),
            victims: victims.length,
            victimsElsewhere: victims.filter(([, s]) => !gangNodes.has(s.node)).length,
          };
          samples.push(sample);
          log(
            `gang of ${size}: ${sample.victims} evicted (${sample.victimsElsewhere} outside its nodes), first eviction → bound ${sample.evictionToBoundMs} ms`,
          );
        }
        await forceDeletePods(env.kc, NAMESPACE, `gang=${id}`);
        await fill(victims.map(([, s]) => s.node ?? '').filter((n) => n !== ''));
      }
    }
  } finally {
    watch.stop();
  }
} finally {
  await env.stop();
}

const rows = sizes.map((size) => {
  const mine = samples.filter((s) => s.gangSize === size);
  const eviction = mine.map((s) => s.evictionToBoundMs);
  const created = mine.map((s) => s.createdToBoundMs);
  const decided = mine.map((s) => s.createdToEvictionMs);
  return {
    gangSize: size,
    level: size <= CLIQUE_NODES ? 'clique' : 'rack',
    nodes: nodeCount,
    gangs: repeats,
    bound: mine.length,
    evictedPerGang: mine.map((s) => s.victims),
    evictedOutsideGang: mine.reduce((n, s) => n + s.victimsElsewhere, 0),
    evictionToBoundP50Ms: round(quantile(eviction, 0.5), 1),
    evictionToBoundP99Ms: round(quantile(eviction, 0.99), 1),
    createdToEvictionP50Ms: round(quantile(decided, 0.5), 1),
    createdToEvictionP99Ms: round(quantile(decided, 0.99), 1),
    createdToBoundP50Ms: round(quantile(created, 0.5), 1),
    createdToBoundP99Ms: round(quantile(created, 0.99), 1),
  };
});
const result = {
  benchmark: 'preemption',
  command: commandLine('bench:preemption'),
  machine: machineDescription(),
  cluster:
    'local cluster (kwokctl, kwok-controller disabled): nodes created Ready, no kubelet simulation; victims have terminationGracePeriodSeconds 0',
  nodes: nodeCount,
  gpusPerMember: GPUS,
  decisionCpu: decisions,
  runs: rows,
  samples,
};
writeJsonResult('preemption', result);
if (opts.json) console.log(JSON.stringify(result));
else {
  console.table(decisions);
  console.table(rows.map(({ evictedPerGang: _e, ...rest }) => rest));
}

async function priorityClasses(kc: KubeConfig): Promise<void> {
  const scheduling = kc.makeApiClient(SchedulingV1Api);
  for (const [className, value] of [
    [LOW, 100],
    [HIGH, 1000],
  ] as const) {
    try {
      await scheduling.createPriorityClass({
        body: { metadata: { name: className }, value, preemptionPolicy: 'PreemptLowerPriority' },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

function lowPod(podName: string, node: string): V1Pod {
  return {
    metadata: { name: podName, labels: { role: 'low' } },
    spec: {
      ...benchPodSpec({
        schedulerName: env.phalanxScheduler,
        demand: { kind: 'whole', gpus: GPUS },
        phalanx: true,
      }),
      priorityClassName: LOW,
      nodeSelector: { 'kubernetes.io/hostname': node },
    },
  };
}

function highPod(podName: string, gang: string, size: number): V1Pod {
  const level = size <= CLIQUE_NODES ? NodeLabel.clique : NodeLabel.leaf;
  return {
    metadata: {
      name: podName,
      labels: { gang },
      annotations: { [Req.podGroup]: gang, [Req.groupSize]: String(size), [Req.topologyRequired]: level },
    },
    spec: {
      ...benchPodSpec({
        schedulerName: env.phalanxScheduler,
        demand: { kind: 'whole', gpus: GPUS },
        phalanx: true,
      }),
      priorityClassName: HIGH,
    },
  };
}

/** Creates the pods, 16 requests in flight. */
async function createAll(api: CoreV1Api, pods: readonly V1Pod[]): Promise<void> {
  const queue = [...pods];
  const worker = async (): Promise<void> => {
    for (let body = queue.shift(); body !== undefined; body = queue.shift()) {
      await api.createNamespacedPod({ namespace: NAMESPACE, body });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
