// Pod manifests the benchmarks submit, shaped as Phalanx's webhook would leave them (the benches run
// Phalanx without its webhook so that the stock configuration's pods are not routed to Phalanx):
// schedulerName set, a fractional pod requesting phalanx.dev/gpu-milli (requests = limits) next to its
// phalanx.dev/gpu-fraction annotation. For the stock scheduler a fraction becomes one whole GPU, the
// only way it can express the request.
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { Req, Resource } from '../../src/core/names.js';

export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
export const BENCH_LABEL = 'phalanx.dev/bench-run';

export type PodDemand =
  | { readonly kind: 'cpu' }
  | { readonly kind: 'whole'; readonly gpus: number }
  | { readonly kind: 'fraction'; readonly fraction: number };

export interface BenchPodOptions {
  readonly name: string;
  readonly schedulerName: string;
  readonly demand: PodDemand;
  /** True: the Phalanx shape (fraction annotation + milli-GPU); false: stock (whole GPUs only). */
  readonly phalanx: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly extraSpec?: Partial<V1PodSpec>;
}

export function benchPodSpec(opts: Omit<BenchPodOptions, 'name' | 'labels' | 'annotations'>): V1PodSpec {
  const quantities: Record<string, string> = { cpu: '100m', memory: '128Mi' };
  const d = opts.demand;
  if (d.kind === 'whole') quantities[Resource.nvidiaGpu] = String(d.gpus);
  if (d.kind === 'fraction') {
    if (opts.phalanx) quantities[Resource.gpuMilli] = String(Math.round(d.fraction * 1000));
    else quantities[Resource.nvidiaGpu] = '1';
  }
  return {
    schedulerName: opts.schedulerName,
    terminationGracePeriodSeconds: 0,
    containers: [
      { name: 'main', image: PAUSE_IMAGE, resources: { requests: quantities, limits: quantities } },
    ],
    ...opts.extraSpec,
  };
}

export function benchPodAnnotations(demand: PodDemand, phalanx: boolean): Record<string, string> {
  return demand.kind === 'fraction' && phalanx ? { [Req.gpuFraction]: String(demand.fraction) } : {};
}

export function benchPod(opts: BenchPodOptions): V1Pod {
  return {
    metadata: {
      name: opts.name,
      labels: { ...opts.labels },
      annotations: { ...benchPodAnnotations(opts.demand, opts.phalanx), ...opts.annotations },
    },
    spec: benchPodSpec(opts),
  };
}

/** The mixed workload of bench:scheduler: 40 % fractional, 40 % whole-GPU, 20 % CPU-only. */
export function mixedDemand(i: number): PodDemand {
  const cycle: PodDemand[] = [
    { kind: 'fraction', fraction: 0.5 },
    { kind: 'whole', gpus: 1 },
    { kind: 'fraction', fraction: 0.25 },
    { kind: 'whole', gpus: 2 },
    { kind: 'cpu' },
  ];
  return cycle[i % cycle.length] as PodDemand;
}
