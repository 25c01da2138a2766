// bench:fractions — what a fractional GPU costs at bind on a local cluster whose nodes KWOK runs, with
// Phalanx as deployed and the test bed's device-plugin stand-in (fraction-env.ts). Each cycle, one
// after the other, nothing else in the cluster:
//  1. the first share on an empty device (no share anywhere): Phalanx creates the device's reservation
//     pod, the stand-in gives it a device and runs `phalanx reserve`, which writes the UUID; the share
//     binds once the UUID is there. Timed from the create request to bound and to Running, with the
//     reservation's creation and its UUID on the way;
//  2. a later share on the same device (pinned to the node; it must land on the same device and UUID):
//     the reservation is there, so it binds at once;
//  3. the first share deleted, then the last: timed from that delete request to the reservation pod's
//     deletion (deletionTimestamp seen) and to its removal from the API.
// Warm-up cycles first (not counted), then `--repeats` cycles; every wait and the whole run bounded.
// p50/p99: nearest rank (below 100 samples, p99 is the largest). Results: a table (or --json) and
// benchmarks/results/fractions.json with the 1-minute load average at start and end.
import { loadavg } from 'node:os';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { Command } from 'commander';
import { Req } from '../../src/core/names.js';
import { reservationPodName } from '../../src/core/devices/reservation-pods.js';
import { RESERVATION_NAMESPACE } from '../../testbed/device-plugin.js';
import { PAUSE_IMAGE } from '../../testbed/workloads.js';
import { fractionsChart } from '../lib/charts.js';
import { ensureNamespace } from '../lib/namespaces.js';
import { note, progressBar } from '../lib/progress.js';
import { commandLine, machineDescription, writeJsonResult, writeResult } from '../lib/results.js';
import { quantile, round } from '../lib/stats.js';
import { startFractionEnv } from './fraction-env.js';
import { watchPodTimelines, type PodTimelines } from './pod-timeline.js';

const opts = new Command()
  .option('--repeats <n>', 'measured cycles (first share, later share, release)', '20')
  .option('--warmup <n>', 'cycles run first and not counted', '1')
  .option('--fraction <f>', 'share of each pod (two per device must fit)', '0.5')
  .option('--fabric <file>', 'fabric of the local cluster', 'testbed/fabric/small.yaml')
  .option('--timeout-seconds <n>', 'time bound of each wait', '45')
  .option('--max-seconds <n>', 'time bound of all cycles together (later cycles are skipped)', '300')
  .option('--keep-cluster', 'leave the local cluster running (Phalanx and the stand-in stopped)')
  .option('--json', 'print one JSON object on stdout')
  .parse()
  .opts<{
    repeats: string;
    warmup: string;
    fraction: string;
    fabric: string;
    timeoutSeconds: string;
    maxSeconds: string;
    keepCluster?: boolean;
    json?: boolean;
  }>();

const repeats = Number(opts.repeats);
const warmup = Number(opts.warmup);
const timeoutMs = Number(opts.timeoutSeconds) * 1000;
const fraction = opts.fraction;
if (!(Number(fraction) > 0 && Number(fraction) <= 0.5)) throw new Error('--fraction must be in (0, 0.5]');
const NAME = 'bench-fractions';
const NS = 'bench-fractions';
const log = (line: string) => note(`[bench:fractions] ${line}`);
const load1 = () => round(loadavg()[0] ?? 0, 2);

/** One measured quantity: its samples in ms. */
const MEASURES = [
  ['firstBound', 'first share on an empty device: created → bound'],
  ['firstRunning', 'first share on an empty device: created → Running'],
  ['reservationSeen', '  of which: created → reservation pod created'],
  ['reservationUuid', '  of which: created → reservation reported the UUID'],
  ['laterBound', 'later share, device reserved: created → bound'],
  ['laterRunning', 'later share, device reserved: created → Running'],
  ['releaseRequested', 'last share deleted → reservation deletion requested'],
  ['releaseGone', 'last share deleted → reservation pod gone'],
] as const;
type Measure = (typeof MEASURES)[number][0];

function sharePod(name: string, node?: string): V1Pod {
  return {
    // No schedulerName and no GPU request: the webhook routes the pod and adds the share's request.
    metadata: { name, labels: { app: 'bench-share' }, annotations: { [Req.gpuFraction]: fraction } },
    spec: {
      ...(node === undefined ? {} : { nodeSelector: { 'kubernetes.io/hostname': node } }),
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: PAUSE_IMAGE }],
    },
  };
}

/** The ledger slot of a share's `phalanx.dev/gpu-devices` ("2:500m" → 2). */
function slotOf(devices: string | undefined): number | undefined {
  const match = /^(\d+):/.exec(devices ?? '');
  return match ? Number(match[1]) : undefined;
}

const startLoad = { beforeClusterUp: load1() };
const env = await startFractionEnv({
  name: NAME,
  fabricFile: opts.fabric,
  keepCluster: opts.keepCluster === true,
  log,
});
const core = env.kc.makeApiClient(CoreV1Api);
const samples = Object.fromEntries(MEASURES.map(([k]) => [k, [] as number[]])) as Record<Measure, number[]>;
const warmupSamples: Partial<Record<Measure, number>>[] = [];
const anomalies = {
  /** Waits that ran out (the cycle was abandoned and cleaned up). */
  timeouts: [] as string[],
  /** Later shares that did not land on the first share's device (not counted as "later"). */
  laterOnOtherDevice: 0,
  /** Shares whose UUID differs from their reservation's report. */
  uuidMismatch: 0,
};
const load = { start: 0, end: 0 };
let completed = 0;
let skipped = 0;
const progress = progressBar('bench:fractions', warmup + repeats);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes every share and waits (bounded, reading the API) until no share and no reservation pod is
 * left, so the next cycle starts with every device empty.
 */
async function clearAll(): Promise<boolean> {
  await core.deleteCollectionNamespacedPod({ namespace: NS, gracePeriodSeconds: 0 });
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const [shares, reservations] = await Promise.all([
      core.listNamespacedPod({ namespace: NS, limit: 1 }),
      core.listNamespacedPod({ namespace: RESERVATION_NAMESPACE, limit: 1 }),
    ]);
    if (shares.items.length === 0 && reservations.items.length === 0) return true;
    await sleep(100);
  }
  return false;
}

async function createShare(shares: PodTimelines, name: string, node?: string): Promise<number | undefined> {
  const t0 = performance.now();
  await core.createNamespacedPod({ namespace: NS, body: sharePod(name, node) });
  const ok = await shares.until(() => shares.latest(name)?.runningMs !== undefined, timeoutMs);
  if (ok) return t0;
  anomalies.timeouts.push(`${name} not Running within ${timeoutMs} ms`);
  return undefined;
}

async function deleteShare(shares: PodTimelines, name: string): Promise<number> {
  const t0 = performance.now();
  await core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
  if (!(await shares.until(() => shares.latest(name)?.deletedMs !== undefined, timeoutMs)))
    anomalies.timeouts.push(`${name} not deleted within ${timeoutMs} ms`);
  return t0;
}

/** One cycle; returns its figures, or undefined when it had to be abandoned. */
async function cycle(
  shares: PodTimelines,
  res: PodTimelines,
  id: string,
): Promise<Partial<Record<Measure, number>> | undefined> {
  const out: Partial<Record<Measure, number>> = {};
  const first = `first-${id}`;
  const later = `later-${id}`;
  const t0 = await createShare(shares, first);
  const f = shares.latest(first);
  if (t0 === undefined || f?.boundMs === undefined || f.runningMs === undefined || f.node === undefined)
    return undefined;
  const slot = slotOf(f.devices);
  const r = slot === undefined ? undefined : res.latest(reservationPodName(f.node, slot));
  if (r === undefined || r.seenMs < t0 || r.uuidMs === undefined) {
    anomalies.timeouts.push(`${first}: no reservation of its own with a UUID for slot ${slot ?? '?'}`);
    return undefined;
  }
  if (f.uuid !== r.uuid) anomalies.uuidMismatch++;
  out.firstBound = f.boundMs - t0;
  out.firstRunning = f.runningMs - t0;
  out.reservationSeen = r.seenMs - t0;
  out.reservationUuid = r.uuidMs - t0;

  const t1 = await createShare(shares, later, f.node);
  const l = shares.latest(later);
  if (t1 === undefined || l?.boundMs === undefined || l.runningMs === undefined) return undefined;
  const sameDevice = slotOf(l.devices) === slot;
  if (sameDevice && l.uuid !== r.uuid) anomalies.uuidMismatch++;
  if (sameDevice) {
    out.laterBound = l.boundMs - t1;
    out.laterRunning = l.runningMs - t1;
  } else {
    anomalies.laterOnOtherDevice++;
  }

  await deleteShare(shares, first);
  if (!sameDevice) return out; // the release is timed only for a device whose last share is known
  const t2 = await deleteShare(shares, later);
  if (!(await res.until(() => r.deletedMs !== undefined, timeoutMs))) {
    anomalies.timeouts.push(`reservation ${r.name} not gone within ${timeoutMs} ms of ${later}'s deletion`);
    return undefined;
  }
  out.releaseRequested = (r.deletingMs ?? r.deletedMs ?? t2) - t2;
  out.releaseGone = (r.deletedMs ?? t2) - t2;
  return out;
}

try {
  await ensureNamespace(env.kc, NS);
  const shares = await watchPodTimelines(env.kc, NS);
  const res = await watchPodTimelines(env.kc, RESERVATION_NAMESPACE);
  try {
    if (!(await clearAll())) throw new Error('the cluster did not start without reservations');
    load.start = load1();
    const deadline = performance.now() + Number(opts.maxSeconds) * 1000;
    for (let i = 0; i < warmup + repeats; i++) {
      const measured = i >= warmup;
      if (performance.now() > deadline) {
        skipped = warmup + repeats - i;
        log(`--max-seconds ${opts.maxSeconds} reached: ${skipped} cycle(s) skipped`);
        break;
      }
      const figures = await cycle(shares, res, measured ? String(i - warmup) : `warmup-${i}`);
      if (figures === undefined || !measured) {
        if (figures !== undefined) warmupSamples.push(figures);
      } else {
        completed++;
        for (const [key] of MEASURES) {
          const v = figures[key];
          if (v !== undefined) samples[key].push(v);
        }
      }
      // Whatever the cycle left (an abandoned one, a later share elsewhere): gone before the next.
      if (!(await clearAll())) throw new Error(`cycle ${i}: shares or reservations not cleared`);
      progress.increment(measured ? `cycle ${i - warmup + 1}/${repeats}` : 'warm-up');
    }
    load.end = load1();
  } finally {
    shares.stop();
    res.stop();
  }
} finally {
  progress.stop();
  await env.stop();
}

const runs = MEASURES.map(([key, label]) => {
  const s = samples[key];
  return {
    measure: key,
    label: label.trim(),
    n: s.length,
    p50Ms: round(quantile(s, 0.5), 1),
    p99Ms: round(quantile(s, 0.99), 1),
    minMs: round(s.length === 0 ? 0 : Math.min(...s), 1),
    maxMs: round(s.length === 0 ? 0 : Math.max(...s), 1),
    samplesMs: s.map((v) => round(v, 1)),
  };
});
const result = {
  benchmark: 'fractions',
  command: commandLine('bench:fractions'),
  machine: machineDescription(),
  cluster:
    `local cluster (kwokctl, Kubernetes v${env.cluster.k8sVersion}, ${env.cluster.nodes.length} KWOK-managed nodes: pods go Running), ` +
    'Phalanx as deploy/ installs it (webhook, ServiceAccount, deploy/reservations), the device-plugin stand-in in the benchmark process',
  fabric: opts.fabric,
  fraction: Number(fraction),
  repeats,
  warmup,
  completed,
  skipped,
  reservations: env.reservations,
  loadAverage1m: { ...load, beforeClusterUp: startLoad.beforeClusterUp },
  anomalies: {
    ...anomalies,
    deviceRefusals: env.devicePlugin.refusals().length,
    failedReservations: env.devicePlugin.failedReservations().size,
  },
  warmupCycles: warmupSamples.map((w) =>
    Object.fromEntries(Object.entries(w).map(([k, v]) => [k, round(v, 1)])),
  ),
  runs,
};
writeJsonResult('fractions', result);
writeResult('fractions.svg', fractionsChart(result));
if (opts.json) console.log(JSON.stringify(result));
else {
  console.table(runs.map(({ samplesMs: _s, measure: _m, ...rest }) => rest));
  console.log(
    `${completed}/${repeats} cycles, load average (1 min) ${load.start} → ${load.end}; ` +
      `reservation released ${env.reservations.releaseAfterMs} ms after its last share (configured); ` +
      `anomalies: ${JSON.stringify(result.anomalies)}`,
  );
}
