// How scarce a GPU model is for the model-constrained part of the learned workload, and how much of
// a node a placement takes. Together they price a placement on capacity that constrained pods need.
import type { Candidate } from './policy.js';
import type { PodTypeStats, PodTypeTable } from './pod-types.js';
import { MILLI_PER_GPU } from '../types.js';

/**
 * Scarcity of a GPU model for constrained pods, derived from what the policy observes: the share of
 * the learned GPU demand (milli, by the table's weights) whose allowed models include the model,
 * over the share of capacity the model would hold if each GPU model known to the policy held an
 * equal part (1/M). A policy sees one node at a time, never the cluster's capacity per model, so the
 * equal split is its prior; M counts the models pods named and the models of nodes it was asked to
 * score. Dimensionless: 1 means the constrained demand alone would fill the model's assumed share,
 * so a milli of it taken by another pod is, on average, a milli of demand turned away later. 0 when
 * no pod names the model. Recomputed when the table's version changes, so scores between two
 * versions stay equal (models seen meanwhile count from the next version on).
 */
export function createModelScarcity(stats: PodTypeStats): (model: string) => number {
  const seenModels = new Set<string>();
  let version = -1;
  let scarcity = new Map<string, number>();
  return (model) => {
    if (model !== '' && !seenModels.has(model)) {
      seenModels.add(model);
      stats.markChanged();
    }
    const table = stats.table();
    if (table.version !== version) {
      version = table.version;
      scarcity = scarcityByModel(table, seenModels);
    }
    return scarcity.get(model) ?? 0;
  };
}

function scarcityByModel(table: PodTypeTable, seenModels: ReadonlySet<string>): Map<string, number> {
  const constrained = new Map<string, number>();
  let all = 0;
  for (const { type, count } of table.types) {
    const milli = count * type.gpuCount * type.gpuMilli;
    all += milli;
    for (const model of new Set(type.models)) constrained.set(model, (constrained.get(model) ?? 0) + milli);
  }
  const known = new Set([...seenModels, ...constrained.keys()]).size;
  const scarcity = new Map<string, number>();
  if (all > 0) for (const [model, milli] of constrained) scarcity.set(model, (milli / all) * known);
  return scarcity;
}

/**
 * Share of the learned GPU demand (milli) that names no GPU model, recomputed when the table's
 * version changes. 1 while nothing is learned.
 */
export function createUnconstrainedShare(stats: PodTypeStats): () => number {
  let version = -1;
  let share = 1;
  return () => {
    const table = stats.table();
    if (table.version !== version) {
      version = table.version;
      let all = 0;
      let named = 0;
      for (const { type, count } of table.types) {
        const milli = count * type.gpuCount * type.gpuMilli;
        all += milli;
        if (type.models.length > 0) named += milli;
      }
      share = all > 0 ? 1 - named / all : 1;
    }
    return share;
  };
}

/**
 * GPU milli of the node the placement strands through its host CPU: the node's GPU capacity in
 * proportion to the share of the node's CPU the pod takes, beyond the GPU milli it takes itself
 * (a CPU-heavy pod on a CPU-poor node leaves GPUs no later pod can get CPU for). 0 when host
 * resources are not tracked.
 */
export function strandedGpuMilli(candidate: Candidate): number {
  const host = candidate.node.host;
  const cpu = candidate.demand.cpuMilli ?? 0;
  if (host === undefined || host.cpuMilli <= 0 || cpu === 0) return 0;
  const cpuShare = (candidate.node.devices.length * MILLI_PER_GPU * cpu) / host.cpuMilli;
  return Math.max(0, cpuShare - takenGpuMilli(candidate));
}

/** GPU milli the placement takes on its devices. */
export function takenGpuMilli(candidate: Candidate): number {
  let gpu = 0;
  for (const share of candidate.assignment.devices) gpu += share.milli;
  return gpu;
}
