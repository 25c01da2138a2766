// How much of the learned workload is tied to a GPU model, and how much of a node a placement takes.
// Together they price a placement on capacity that model-constrained pods depend on.
import type { Candidate } from './policy.js';
import type { PodTypeStats } from './pod-types.js';
import { MILLI_PER_GPU } from '../types.js';

/**
 * Share of the observed pods (by the table's weights) that are constrained to a set of GPU models
 * containing `model`; 0 when no pod named models. Memoised per table version.
 */
export function createModelDemand(stats: PodTypeStats): (model: string) => number {
  let version = -1;
  let shares = new Map<string, number>();
  return (model) => {
    const table = stats.table();
    if (table.version !== version) {
      version = table.version;
      shares = new Map();
    }
    let share = shares.get(model);
    if (share === undefined) {
      let constrained = 0;
      for (const { type, count } of table.types) {
        if (type.models.length > 0 && type.models.includes(model)) constrained += count;
      }
      share = table.total > 0 ? constrained / table.total : 0;
      shares.set(model, share);
    }
    return share;
  };
}

/**
 * The node's GPU capacity (milli) the placement makes unavailable to others: the GPU milli it takes,
 * or its host-CPU share of the node in GPU terms when CPU is the tighter resource (a CPU-heavy pod
 * on a CPU-poor node strands the node's GPUs).
 */
export function displacedGpuMilli(candidate: Candidate): number {
  let gpu = 0;
  for (const share of candidate.assignment.devices) gpu += share.milli;
  const host = candidate.node.host;
  const cpu = candidate.demand.cpuMilli ?? 0;
  if (host === undefined || host.cpuMilli <= 0 || cpu === 0) return gpu;
  const nodeGpuMilli = candidate.node.devices.length * MILLI_PER_GPU;
  return Math.max(gpu, (nodeGpuMilli * cpu) / host.cpuMilli);
}
