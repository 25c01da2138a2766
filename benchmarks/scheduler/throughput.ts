// One scheduler_perf-style measurement: warm-up pods first (not measured), then M pods created from
// this process with bounded concurrency while bound pods are counted every second. Throughput samples
// are Δbound / Δt per 1 s interval, from the first measured binding to the last (idle start-up and
// the partial last second excluded); creation → binding is per pod, both observed by one watch.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { forEachBounded } from '../../testbed/nodes.js';
import { ensureNamespace, forceDeletePods } from '../lib/namespaces.js';
import { watchPods } from '../lib/pod-watch.js';
import { benchPod, mixedDemand } from '../lib/pods.js';
import { cpuPerPod, type CpuSampler } from '../lib/process-cpu.js';
import type { Progress } from '../lib/progress.js';
import type { SchedulerProcess } from '../lib/schedulers.js';
import { mean, quantile, round } from '../lib/stats.js';

export interface ThroughputOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly schedulerName: string;
  readonly phalanx: boolean;
  readonly pods: number;
  readonly warmupPods: number;
  readonly createConcurrency: number;
  readonly maxSeconds: number;
  readonly progress: Progress;
  /**
   * When given (local mode), the scheduler is paused while the measured pods are created and resumed
   * once all exist, so the samples measure scheduling and binding, not how fast this client creates
   * pods; latencies then run from the release (or the pod's creation, if later) to its binding.
   */
  readonly backlog?: SchedulerProcess;
  /** CPU time of the processes in the loop (local mode), sampled around the measured pods. */
  readonly cpu?: CpuSampler;
  /** Told when the measured window opens (the backlog released, or the first measured creation). */
  readonly onMeasuring?: () => void;
}

export interface ThroughputResult {
  readonly schedulerName: string;
  readonly pods: number;
  readonly bound: number;
  /** Mean of the 1 s samples (scheduler_perf's SchedulingThroughput Average). */
  readonly podsPerSec: number;
  readonly podsPerSecP50: number;
  readonly samples: number[];
  readonly bindP50Ms: number;
  readonly bindP99Ms: number;
  readonly seconds: number;
  /** 'backlog': pods created while the scheduler was paused; 'streaming': created while it ran. */
  readonly method: 'backlog' | 'streaming';
  /** CPU ms per measured pod of each process in the loop (local mode), from first to last bind. */
  readonly cpuMsPerPod?: Readonly<Record<string, number>>;
}

const SAMPLE_MS = 1000;

export async function measureThroughput(opts: ThroughputOptions): Promise<ThroughputResult> {
  const { kc, namespace } = opts;
  const core = kc.makeApiClient(CoreV1Api);
  await ensureNamespace(kc, namespace);
  await forceDeletePods(kc, namespace);
  const watch = await watchPods(kc, namespace);
  const create = (prefix: string, i: number) =>
    core.createNamespacedPod({
      namespace,
      body: benchPod({
        name: `${prefix}-${i}`,
        schedulerName: opts.schedulerName,
        demand: mixedDemand(i),
        phalanx: opts.phalanx,
        labels: { phase: prefix },
      }),
    });
  const deadline = Date.now() + opts.maxSeconds * 1000;
  try {
    const warm = Array.from({ length: opts.warmupPods }, (_, i) => i);
    await forEachBounded(warm, opts.createConcurrency, async (i) => void (await create('warm', i)));
    await watch.until(() => watch.boundCount() >= opts.warmupPods, Math.max(0, deadline - Date.now()));

    const measuredBound = (): number => {
      let n = 0;
      for (const [name, t] of watch.pods) if (t.boundMs !== undefined && name.startsWith('m-')) n++;
      return n;
    };
    const counts: { at: number; bound: number }[] = [];
    let sampler: NodeJS.Timeout | undefined;
    const startSampling = (): void => {
      sampler = setInterval(() => {
        const bound = measuredBound();
        counts.push({ at: performance.now(), bound });
        opts.progress.update(bound, `${opts.schedulerName}`);
      }, SAMPLE_MS);
    };
    let started = performance.now();
    let cpuBefore = opts.backlog ? undefined : opts.cpu?.();
    const measured = Array.from({ length: opts.pods }, (_, i) => i);
    try {
      if (opts.backlog) opts.backlog.pause();
      else {
        startSampling();
        opts.onMeasuring?.();
      }
      await forEachBounded(measured, opts.createConcurrency, async (i) => {
        if (Date.now() < deadline) await create('m', i);
      });
      if (opts.backlog) {
        await watch.until(
          () => [...watch.pods.keys()].filter((n) => n.startsWith('m-')).length >= opts.pods,
          30_000,
        );
        started = performance.now();
        cpuBefore = opts.cpu?.();
        counts.push({ at: started, bound: measuredBound() });
        startSampling();
        opts.backlog.resume();
        opts.onMeasuring?.();
      }
      await watch.until(() => measuredBound() >= opts.pods, Math.max(0, deadline - Date.now()));
    } finally {
      clearInterval(sampler);
      opts.backlog?.resume();
    }
    const finished = performance.now();
    const cpuAfter = opts.cpu?.();
    opts.progress.update(measuredBound(), opts.schedulerName);

    const times = [...watch.pods.entries()].filter(([name]) => name.startsWith('m-')).map(([, t]) => t);
    const latencies = times.flatMap((t) =>
      t.boundMs === undefined ? [] : [t.boundMs - Math.max(t.seenMs, started)],
    );
    const samples = throughputSamples(counts);
    return {
      schedulerName: opts.schedulerName,
      pods: opts.pods,
      bound: latencies.length,
      podsPerSec: round(mean(samples), 1),
      podsPerSecP50: round(quantile(samples, 0.5), 1),
      samples: samples.map((s) => round(s, 1)),
      bindP50Ms: round(quantile(latencies, 0.5), 1),
      bindP99Ms: round(quantile(latencies, 0.99), 1),
      seconds: round((finished - started) / 1000, 1),
      method: opts.backlog ? 'backlog' : 'streaming',
      ...(cpuBefore && cpuAfter ? { cpuMsPerPod: cpuPerPod(cpuBefore, cpuAfter, latencies.length) } : {}),
    };
  } finally {
    watch.stop();
    await forceDeletePods(kc, namespace);
  }
}

/**
 * Per-second rates from cumulative counts, keeping the intervals from the first one in which any
 * pod was bound to the last one that bound a pod before the count stopped growing.
 */
export function throughputSamples(counts: readonly { at: number; bound: number }[]): number[] {
  const rates: { rate: number; grew: boolean }[] = [];
  for (let i = 1; i < counts.length; i++) {
    const a = counts[i - 1];
    const b = counts[i];
    if (a === undefined || b === undefined) continue;
    const grew = b.bound > a.bound;
    rates.push({ rate: ((b.bound - a.bound) * 1000) / (b.at - a.at), grew });
  }
  const first = rates.findIndex((r) => r.grew);
  if (first < 0) return [];
  let last = rates.length - 1;
  while (last > first && !(rates[last]?.grew ?? false)) last--;
  return rates.slice(first, last + 1).map((r) => r.rate);
}

/**
 * CPU per pod minus what each process spends idle (`idleMsPerSec`) over the run's duration: a slower
 * run spreads more background work over each pod, which says nothing about the pod's own cost.
 */
export function netOfIdle(
  r: Pick<ThroughputResult, 'cpuMsPerPod' | 'seconds' | 'bound'>,
  idleMsPerSec: Readonly<Record<string, number>> | undefined,
): { netCpuMsPerPod?: Record<string, number> } {
  if (!r.cpuMsPerPod || !idleMsPerSec || r.bound === 0) return {};
  const net: Record<string, number> = {};
  for (const [name, ms] of Object.entries(r.cpuMsPerPod)) {
    const idle = idleMsPerSec[name] ?? 0;
    net[name] = round(ms - (idle * r.seconds) / r.bound, 2);
  }
  return { netCpuMsPerPod: net };
}
