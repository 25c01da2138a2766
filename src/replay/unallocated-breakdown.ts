// Where the unallocated GPUs are when arrivals reach a given share of capacity, and which pods were
// turned away by then: the diagnosis behind the placement-quality metric (which GPUs no later pod
// could use, and why), not a figure of its own.
import type { SimCluster } from './sim-cluster.js';
import type { SimulationSeries } from './simulate.js';
import { podDemand, podGpuMilli } from './trace-convert.js';
import type { TracePod } from './trace-csv.js';
import { MILLI_PER_GPU, type PodDemand } from '../core/types.js';

export interface FailedKind {
  readonly pods: number;
  readonly gpuMilli: number;
}

export interface UnallocatedBreakdown {
  readonly capacityMilli: number;
  /** Free GPU milli on nodes where no failed GPU pod fits the host's free CPU and memory, or the model. */
  readonly hostOrModelBound: number;
  /** On the other nodes: free milli left on devices already shared (remainders). */
  readonly sharedRemainders: number;
  /** On the other nodes: free milli of untouched devices. */
  readonly untouchedDevices: number;
  /** Failed GPU pods by kind ("whole×2", "share", "+model" when constrained). */
  readonly failed: Readonly<Record<string, FailedKind>>;
}

/** The pods up to and including the first whose arrival reaches `arrivedPct` % of capacity. */
export function podsUntilArrived(
  pods: readonly TracePod[],
  capacityMilli: number,
  arrivedPct: number,
): TracePod[] {
  const threshold = (capacityMilli * arrivedPct) / 100;
  let arrived = 0;
  for (let i = 0; i < pods.length; i++) {
    arrived += podGpuMilli(pods[i] as TracePod);
    if (arrived >= threshold) return pods.slice(0, i + 1);
  }
  return [...pods];
}

/** GPU pods of a replayed sequence that were not placed (their allocation did not grow). */
export function failedGpuPods(pods: readonly TracePod[], series: SimulationSeries): TracePod[] {
  return pods.filter((pod, i) => {
    const before = i === 0 ? 0 : (series.allocatedMilli[i - 1] ?? 0);
    return podGpuMilli(pod) > 0 && series.allocatedMilli[i] === before;
  });
}

function kindOf(demand: PodDemand): string {
  const gpu = demand.gpu;
  const base = gpu.kind === 'whole' ? `whole×${gpu.count}` : gpu.kind === 'fraction' ? 'share' : gpu.kind;
  return demand.models && demand.models.length > 0 ? `${base}+model` : base;
}

export function unallocatedBreakdown(cluster: SimCluster, failed: readonly TracePod[]): UnallocatedBreakdown {
  const demands = failed.map(podDemand);
  let hostOrModelBound = 0;
  let sharedRemainders = 0;
  let untouchedDevices = 0;
  for (const node of cluster.nodes) {
    let shared = 0;
    let untouched = 0;
    node.used.forEach((used, i) => {
      const mode = node.modes[i];
      if (mode === 'free') untouched += MILLI_PER_GPU;
      else if (mode === 'shared') shared += MILLI_PER_GPU - used;
    });
    if (shared + untouched === 0) continue;
    const reachable = demands.some(
      (d) =>
        (d.models === undefined || d.models.length === 0 || d.models.includes(node.inventory.model)) &&
        node.cpuUsed + (d.cpuMilli ?? 0) <= node.cpuCap &&
        node.memUsed + (d.memoryBytes ?? 0) <= node.memCap,
    );
    if (!reachable) hostOrModelBound += shared + untouched;
    else {
      sharedRemainders += shared;
      untouchedDevices += untouched;
    }
  }
  const failedByKind: Record<string, FailedKind> = {};
  failed.forEach((pod, i) => {
    const kind = kindOf(demands[i] as PodDemand);
    const known = failedByKind[kind] ?? { pods: 0, gpuMilli: 0 };
    failedByKind[kind] = { pods: known.pods + 1, gpuMilli: known.gpuMilli + podGpuMilli(pod) };
  });
  return {
    capacityMilli: cluster.capacityMilli,
    hostOrModelBound,
    sharedRemainders,
    untouchedDevices,
    failed: failedByKind,
  };
}
