// Cost of one autoscaling reconcile pass at scale (issue 19, part 3): the leader derives waiting
// demand from every pending pod, packs shares, plans gang placeholders and diffs them against what
// exists, every `autoscaling.reconcileMs`. Fabric: 5000 nodes × 8 GPUs in 4 pools (one tainted);
// demand: 10 000 waiting 0.3/0.5-GPU shares (a quarter memory-bound) in 16 constraint groups and 200
// waiting 8-member gangs (clique required). Bound: 1000 placeholders. Steady state = a second pass
// with every placeholder present (no writes). Run: npx tsx benchmarks/autoscaling-plan.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlaceholderController } from '../src/app/autoscaling/placeholder-controller.js';
import type { PlaceholderPodWriter } from '../src/app/autoscaling/ports.js';
import { planPlaceholders, smallestDeviceMemory } from '../src/core/autoscaling/placeholder-plan.js';
import { waitingDemand, type CandidatePod } from '../src/core/autoscaling/waiting-demand.js';
import type { NodeShape, PodShape } from '../src/core/kube-shapes.js';
import { placeholderPodManifest } from '../src/kube/placeholder-pods.js';

const RUNS = 20;
const NODES = 5000;
const SHARES = 10_000;
const GANGS = 200;
const GANG_SIZE = 8;
const MAX_PLACEHOLDERS = 1000;
const NOW = Date.parse('2026-01-01T01:00:00Z');
const LONG_AGO = new Date(NOW - 60_000).toISOString();
const CLIQUE = 'nvidia.com/gpu.clique';

const nodes: NodeShape[] = Array.from({ length: NODES }, (_, i) => ({
  metadata: {
    name: `n${i}`,
    labels: { pool: `p${i % 4}`, [CLIQUE]: `c${Math.floor(i / 18)}`, 'nvidia.com/gpu.memory': '81559' },
  },
  spec: i % 4 === 3 ? { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] } : {},
}));

function pending(
  name: string,
  annotations: Record<string, string>,
  pool: string,
  gpus?: number,
): CandidatePod {
  return {
    metadata: { name, namespace: 'bench', uid: name, annotations },
    spec: {
      schedulerName: 'phalanx-scheduler',
      nodeSelector: { pool },
      ...(pool === 'p3' ? { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } : {}),
      containers: [
        {
          name: 'c',
          resources:
            gpus === undefined
              ? {}
              : { requests: { 'nvidia.com/gpu': String(gpus) }, limits: { 'nvidia.com/gpu': String(gpus) } },
        },
      ],
    },
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: LONG_AGO },
      ],
    },
  };
}

const pods: CandidatePod[] = [];
for (let i = 0; i < SHARES; i++) {
  const annotations: Record<string, string> = { 'phalanx.dev/gpu-fraction': i % 2 === 0 ? '0.3' : '0.5' };
  if (i % 4 === 0) annotations['phalanx.dev/gpu-memory'] = '30000';
  pods.push(pending(`s${i}`, annotations, `p${i % 4}`));
  if (i % 16 >= 4)
    (pods.at(-1)?.spec as { nodeSelector: Record<string, string> }).nodeSelector['tier'] = `t${i % 16}`;
}
for (let g = 0; g < GANGS; g++) {
  for (let m = 0; m < GANG_SIZE; m++) {
    const annotations = {
      'phalanx.dev/pod-group': `g${g}`,
      'phalanx.dev/group-size': String(GANG_SIZE),
      'phalanx.dev/topology-required': CLIQUE,
    };
    pods.push(pending(`g${g}-m${m}`, annotations, `p${g % 3}`, 4));
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

// The pure part: demand + plan.
const planMs: number[] = [];
let placeholders = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const demand = waitingDemand(pods, {
    now: NOW,
    pendingForMs: 10_000,
    schedulerName: 'phalanx-scheduler',
    levels: [CLIQUE],
    nodeLabels: () => undefined,
  });
  const memo = new Map<string, number | undefined>();
  const plan = planPlaceholders(demand.units, {
    maxPlaceholders: MAX_PLACEHOLDERS,
    deviceMemoryBytes: (c) => {
      const key = JSON.stringify(c);
      if (!memo.has(key)) memo.set(key, smallestDeviceMemory(c, nodes));
      return memo.get(key);
    },
  });
  planMs.push(performance.now() - t0);
  placeholders = plan.specs.length;
}

// The whole controller pass over an in-memory API (creates fed back as the informer would).
const stored = new Map<string, PodShape>();
const fedBack: { controller?: PlaceholderController } = {};
const writer: PlaceholderPodWriter = {
  create(spec) {
    const pod = placeholderPodManifest(spec, {
      namespace: 'phalanx-system',
      image: 'pause',
      priorityClassName: 'pc',
    });
    const shaped = { ...pod, metadata: { ...pod.metadata, uid: spec.name } } as PodShape;
    stored.set(spec.name, shaped);
    fedBack.controller?.podChanged(shaped);
    return Promise.resolve('created');
  },
  delete() {
    return Promise.resolve();
  },
};
const controller = new PlaceholderController({
  namespace: 'phalanx-system',
  schedulerName: 'phalanx-scheduler',
  levels: [CLIQUE],
  pendingForMs: 10_000,
  handoffGraceMs: 120_000,
  reconcileMs: 5_000,
  maxPlaceholders: MAX_PLACEHOLDERS,
  gangStallMs: 60_000,
  pods: writer,
  nodes: { labels: () => undefined, all: () => nodes },
  clock: { now: () => NOW },
  active: () => true,
});
fedBack.controller = controller;
for (const pod of pods) controller.podChanged(pod);
let t0 = performance.now();
const firstActions = (await controller.reconcile()).length;
const firstPassMs = performance.now() - t0;
const steadyMs: number[] = [];
for (let r = 0; r < RUNS; r++) {
  t0 = performance.now();
  const actions = await controller.reconcile();
  steadyMs.push(performance.now() - t0);
  if (actions.length > 0) throw new Error(`steady pass wrote ${actions.length} times`);
}

const result = {
  nodes: NODES,
  waitingShares: SHARES,
  waitingGangs: GANGS,
  gangSize: GANG_SIZE,
  maxPlaceholders: MAX_PLACEHOLDERS,
  placeholders,
  planMs: { p50: percentile(planMs, 50), p99: percentile(planMs, 99) },
  firstPass: { ms: firstPassMs, writes: firstActions },
  steadyPassMs: { p50: percentile(steadyMs, 50), p99: percentile(steadyMs, 99) },
};
console.log(
  `demand+plan over ${pods.length} waiting pods, ${NODES} nodes: p50 ${result.planMs.p50.toFixed(1)} ms, ` +
    `p99 ${result.planMs.p99.toFixed(1)} ms → ${placeholders} placeholders (bound ${MAX_PLACEHOLDERS})`,
);
console.log(`controller first pass ${firstPassMs.toFixed(1)} ms (${firstActions} creates, in-memory API)`);
console.log(
  `controller steady pass p50 ${result.steadyPassMs.p50.toFixed(1)} ms, p99 ${result.steadyPassMs.p99.toFixed(1)} ms`,
);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'autoscaling-plan.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
