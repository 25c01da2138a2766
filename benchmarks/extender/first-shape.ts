// `npx tsx benchmarks/extender/first-shape.ts` — what the first pod of a new shape costs the extender itself, in
// process and without HTTP: CPU time of filter over every node, then prioritize over the survivors,
// for pods of fractions no earlier pod had (every per-shape cache empty), after warm-up pods of the
// bench:extender mix taught the policy its pod types. Then each shape's second pod and a later one,
// each right after one node changed (as after a bind: the node-list memo misses and every node is
// asked again from the caches). CPU time, not wall time: other processes on a loaded machine stretch
// the latter. Written to
// benchmarks/results/extender-first-shape.json.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Command } from 'commander';
import { fabricSpecFor } from './fabric-spec.js';
import { benchSchedulingService } from './in-process-app.js';
import { ClusterState } from '../../src/core/cluster-state.js';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { policyByName } from '../../src/core/policies/registry.js';
import { generateFabric } from '../../testbed/gpu-fabric.js';
import { machineDescription, writeJsonResult } from '../lib/results.js';

const program = new Command()
  .option('--nodes <list>', 'comma-separated node counts', '1000,5000')
  .option('--policies <list>', 'comma-separated policies', 'phalanx,fgd')
  .option('--shapes <n>', 'new shapes measured per run (fractions 0.11, 0.12 …, 1 to 60)', '30')
  .option('--warmup <n>', 'pods of the usual mix scheduled first', '300')
  .parse();
const opts = program.opts<{ nodes: string; policies: string; shapes: string; warmup: string }>();

const MAX_NODES = 20_000;
const sizes = opts.nodes.split(',').map(Number);
for (const n of sizes) {
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES)
    throw new Error(`--nodes: each count must be an integer from 1 to ${MAX_NODES}, got ${n}`);
}
const shapes = Number(opts.shapes);
if (!Number.isInteger(shapes) || shapes < 1 || shapes > 60)
  throw new Error(`--shapes: an integer from 1 to 60, got ${opts.shapes}`);
const warmup = Number(opts.warmup);
if (!Number.isInteger(warmup) || warmup < 0 || warmup > 10_000)
  throw new Error(`--warmup: an integer from 0 to 10000, got ${opts.warmup}`);

function pod(i: number, annotations: Record<string, string>, limits: Record<string, string>): PodShape {
  return {
    metadata: { name: `bench-${i}`, namespace: 'bench', uid: `bench-uid-${i}`, annotations },
    spec: { schedulerName: 'phalanx-scheduler', containers: [{ name: 'main', resources: { limits } }] },
    status: { phase: 'Pending' },
  };
}

/** bench:extender's mix: halves and quarters of a GPU, one and four whole GPUs. */
function mixPod(i: number): PodShape {
  const kinds: [Record<string, string>, Record<string, string>][] = [
    [{ 'phalanx.dev/gpu-fraction': '0.5' }, {}],
    [{}, { 'nvidia.com/gpu': '1' }],
    [{ 'phalanx.dev/gpu-fraction': '0.25' }, {}],
    [{}, { 'nvidia.com/gpu': '4' }],
  ];
  const [annotations, limits] = kinds[i % kinds.length]!;
  return pod(i, annotations, limits);
}

/** Fractions the mix never asks for: 0.11, 0.12 … without 0.25 and 0.5. */
const newFractions = Array.from({ length: 64 }, (_, k) => ((11 + k) / 100).toFixed(2))
  .filter((f) => f !== '0.25' && f !== '0.50')
  .slice(0, shapes);

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1000;
};
v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 100) / 100;
};

interface Run {
  nodes: number;
  policy: string;
  shapes: number;
  /** Node classes the placement cache holds after the run (see src/app/placement/node-classes.ts). */
  nodeClasses: number;
  filterCpuP50Ms: number;
  filterCpuMaxMs: number;
  prioritizeCpuP50Ms: number;
  prioritizeCpuMaxMs: number;
  bothCpuP50Ms: number;
  /** Filter + prioritize of a shape's second pod, right after one node changed. */
  secondPodCpuP50Ms: number;
  /** The same for its third pod (every node's answer has been read before). */
  thirdPodCpuP50Ms: number;
}

function measure(nodes: number, policyName: string): Run {
  const fabric = generateFabric(fabricSpecFor(nodes));
  const { state } = ClusterState.restore({}, fabric.inventories, fabric.occupied);
  const policy = policyByName(policyName, '--policies');
  const service = benchSchedulingService(state, policy, []);
  const names = fabric.inventories.map((n) => n.name);
  for (let i = 0; i < warmup; i++) {
    const p = mixPod(i);
    service.prioritize(p, service.filter(p, names).feasible);
  }
  const filterMs: number[] = [];
  const prioritizeMs: number[] = [];
  const bothMs: number[] = [];
  // A full collection first: the garbage the fabric's setup and the warm-up left (V8 marks it on
  // helper threads, which the process's CPU time counts) is not the first pod's cost.
  collectGarbage();
  for (const [k, fraction] of newFractions.entries()) {
    const p = pod(warmup + k, { 'phalanx.dev/gpu-fraction': fraction }, {});
    const start = process.cpuUsage();
    const feasible = service.filter(p, names).feasible;
    const filtered = cpuMs(start);
    service.prioritize(p, feasible);
    const both = cpuMs(start);
    filterMs.push(filtered);
    prioritizeMs.push(both - filtered);
    bothMs.push(both);
  }
  const afterChangeMs: number[][] = [[], []];
  for (const [round, times] of afterChangeMs.entries()) {
    for (const [k, fraction] of newFractions.entries()) {
      // Re-applying a node's inventory reports a change to it, as a bind does.
      state.applyNode(fabric.inventories[(round * newFractions.length + k) % fabric.inventories.length]!);
      const uid = warmup + (round + 1) * newFractions.length + k;
      const p = pod(uid, { 'phalanx.dev/gpu-fraction': fraction }, {});
      const start = process.cpuUsage();
      service.prioritize(p, service.filter(p, names).feasible);
      times.push(cpuMs(start));
    }
  }
  return {
    nodes: names.length,
    policy: policyName,
    shapes: newFractions.length,
    nodeClasses: service.placement.classes(),
    filterCpuP50Ms: quantile(filterMs, 0.5),
    filterCpuMaxMs: quantile(filterMs, 1),
    prioritizeCpuP50Ms: quantile(prioritizeMs, 0.5),
    prioritizeCpuMaxMs: quantile(prioritizeMs, 1),
    bothCpuP50Ms: quantile(bothMs, 0.5),
    secondPodCpuP50Ms: quantile(afterChangeMs[0]!, 0.5),
    thirdPodCpuP50Ms: quantile(afterChangeMs[1]!, 0.5),
  };
}

const runs: Run[] = [];
for (const nodes of sizes) for (const policy of opts.policies.split(',')) runs.push(measure(nodes, policy));
writeJsonResult('extender-first-shape', {
  benchmark: 'extender-first-shape',
  command: ['npx tsx benchmarks/extender/first-shape.ts', ...process.argv.slice(2)].join(' '),
  warmup,
  machine: machineDescription(),
  runs,
});
console.table(runs);
