// How scarce a GPU model is for the model-constrained part of the learned workload, and how much of
// a node a placement takes. Together they price a placement on capacity that constrained pods need.
import type { Candidate } from './policy.js';
import type { PodTypeStats, PodTypeTable } from './pod-types.js';
import { freeMilliAfter } from './node-view.js';

/** How scarce each GPU model is for constrained pods, and what the policy knows of capacity. */
export interface ModelScarcity {
  /** The model's scarcity: see createModelScarcity. */
  of(model: string): number;
  /**
   * The cluster's schedulable GPUs per model, as it holds them now. Takes effect at the next table
   * version (scores between two versions stay equal); an unchanged map is ignored.
   */
  observeCapacity(gpusByModel: ReadonlyMap<string, number>): void;
}

/**
 * Scarcity of a GPU model for constrained pods: the share of the learned GPU demand (milli, by the
 * table's weights) whose allowed models include the model, over the share of capacity assumed for
 * the model. Dimensionless: 1 means the constrained demand alone would fill the model's assumed
 * share, so a milli of it taken by another pod is, on average, a milli of demand turned away later.
 * 0 when no pod names the model.
 *
 * The assumed share is half the model's share of the cluster's GPUs (observeCapacity) and half an
 * equal split over the M known models (1/M; M counts the models pods named, the models of nodes the
 * policy was asked to score and the models the cluster holds). Without capacity it is 1/M alone.
 * Why not the cluster's share alone: on openb's model-constrained mixes (gpuspec family, tuning
 * seeds) it made the charge on the model most GPUs are of (G2, 71 %) so small that work which could
 * run anywhere crowded it, and lost to fgd on gpuspec05/10; the equal split alone overcharged G2 and
 * pushed that work onto the models constrained pods need (gpuspec33: 0.2-0.4 below fgd, against
 * 4.5-4.8 with half of each). Half of each beat fgd on every gpuspec trace (benchmarks/HISTORY.md,
 * session 11). Recomputed when the table's version changes.
 */
export function createModelScarcity(stats: PodTypeStats): ModelScarcity {
  const seenModels = new Set<string>();
  let capacity: ReadonlyMap<string, number> = new Map();
  // Models and capacity observed meanwhile are read when the next version is computed.
  const scarcity = perTableVersion(stats, (table) => scarcityByModel(table, seenModels, capacity));
  return {
    of(model) {
      if (model !== '' && !seenModels.has(model)) {
        seenModels.add(model);
        stats.markChanged();
      }
      return scarcity().get(model) ?? 0;
    },
    observeCapacity(gpusByModel) {
      if (gpusByModel === capacity || sameCounts(gpusByModel, capacity)) return;
      capacity = new Map(gpusByModel);
      stats.markChanged();
    },
  };
}

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [model, gpus] of a) if (b.get(model) !== gpus) return false;
  return true;
}

function scarcityByModel(
  table: PodTypeTable,
  seenModels: ReadonlySet<string>,
  capacity: ReadonlyMap<string, number>,
): Map<string, number> {
  const constrained = new Map<string, number>();
  let all = 0;
  for (const { type, count } of table.types) {
    const milli = count * type.gpuCount * type.gpuMilli;
    all += milli;
    for (const model of new Set(type.models)) constrained.set(model, (constrained.get(model) ?? 0) + milli);
  }
  let capacityGpus = 0;
  for (const gpus of capacity.values()) capacityGpus += gpus;
  // A node without a model label holds capacity but is no model a pod can name.
  const capacityModels = [...capacity.keys()].filter((model) => model !== '');
  const known = new Set([...seenModels, ...constrained.keys(), ...capacityModels]).size;
  const assumedShare = (model: string): number =>
    capacityGpus > 0 ? 0.5 * ((capacity.get(model) ?? 0) / capacityGpus) + 0.5 / known : 1 / known;
  const scarcity = new Map<string, number>();
  if (all > 0)
    for (const [model, milli] of constrained) scarcity.set(model, milli / all / assumedShare(model));
  return scarcity;
}

/** `compute` over the published table, recomputed only when the table's version changes. */
function perTableVersion<T>(stats: PodTypeStats, compute: (table: PodTypeTable) => T): () => T {
  let version = -1;
  let value = compute(stats.table());
  return () => {
    const table = stats.table();
    if (table.version !== version) {
      version = table.version;
      value = compute(table);
    }
    return value;
  };
}

/**
 * Share of the learned GPU demand (milli) that names no GPU model, recomputed when the table's
 * version changes. 1 while nothing is learned.
 */
export function createUnconstrainedShare(stats: PodTypeStats): () => number {
  return perTableVersion(stats, (table) => {
    let all = 0;
    let named = 0;
    for (const { type, count } of table.types) {
      const milli = count * type.gpuCount * type.gpuMilli;
      all += milli;
      if (type.models.length > 0) named += milli;
    }
    return all > 0 ? 1 - named / all : 1;
  });
}

/**
 * CPU milli the learned GPU demand asks per GPU milli it asks (by the table's weights, GPU types
 * only), recomputed when the table's version changes; 0 while no GPU type is learned.
 */
export function createCpuPerGpuMilli(stats: PodTypeStats): () => number {
  return perTableVersion(stats, (table) => {
    let cpu = 0;
    let gpu = 0;
    for (const { type, count } of table.types) {
      if (type.gpuCount === 0) continue;
      cpu += count * type.cpuMilli;
      gpu += count * type.gpuCount * type.gpuMilli;
    }
    return gpu > 0 ? cpu / gpu : 0;
  });
}

/**
 * GPU milli of the node that its free CPU stops serving because of the placement: free GPU milli
 * beyond what the free CPU covers at `cpuPerGpuMilli` (the learned demand's ratio), after the
 * placement minus before it, never below 0: a CPU-heavy pod on a CPU-poor node leaves GPUs no later
 * pod can get CPU for, while a node whose CPU stays ample for its free GPUs is not charged, however
 * much CPU the pod takes. 0 when host resources are not tracked or nothing is learned.
 */
export function cpuStarvedGpuMilli(candidate: Candidate, cpuPerGpuMilli: number): number {
  const host = candidate.node.host;
  if (host === undefined || host.cpuMilli <= 0 || cpuPerGpuMilli <= 0) return 0;
  const freeAfter = freeMilliAfter(candidate);
  const cpuFree = host.cpuMilli - host.cpuMilliUsed;
  const before = unservedGpuMilli(freeAfter + takenGpuMilli(candidate), cpuFree, cpuPerGpuMilli);
  const after = unservedGpuMilli(freeAfter, cpuFree - (candidate.demand.cpuMilli ?? 0), cpuPerGpuMilli);
  return Math.max(0, after - before);
}

function unservedGpuMilli(freeGpuMilli: number, freeCpuMilli: number, cpuPerGpuMilli: number): number {
  return Math.max(0, freeGpuMilli - freeCpuMilli / cpuPerGpuMilli);
}

/** GPU milli the placement takes on its devices. */
export function takenGpuMilli(candidate: Candidate): number {
  let gpu = 0;
  const shares = candidate.assignment.devices;
  for (let i = 0; i < shares.length; i++) gpu += shares[i]!.milli;
  return gpu;
}
