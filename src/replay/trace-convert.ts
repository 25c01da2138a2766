// Trace rows → the domain types the policies and device fit use, exactly as a live node and pod
// would look: one NVLink island per node (the trace has no topology), device memory unknown.
import type { TraceNode, TracePod } from './trace-csv.js';
import { MILLI_PER_GPU, type NodeInventory, type PodDemand } from '../core/types.js';

const MIB = 1024 * 1024;

export function nodeInventory(node: TraceNode): NodeInventory {
  const indices = Array.from({ length: node.gpus }, (_, i) => i);
  return {
    name: node.name,
    devices: indices.map((index) => ({ index, memoryBytes: 0 })),
    model: node.model,
    islands: [indices],
    labels: {},
    unschedulable: false,
  };
}

export function podDemand(pod: TracePod): PodDemand {
  const host = {
    ...(pod.cpuMilli > 0 ? { cpuMilli: pod.cpuMilli } : {}),
    ...(pod.memoryMib > 0 ? { memoryBytes: pod.memoryMib * MIB } : {}),
    ...(pod.gpuSpec.length > 0 ? { models: pod.gpuSpec } : {}),
  };
  if (pod.numGpu === 0) return { gpu: { kind: 'none' }, topology: {}, ...host };
  if (pod.gpuMilli >= MILLI_PER_GPU)
    return { gpu: { kind: 'whole', count: pod.numGpu }, topology: {}, ...host };
  return { gpu: { kind: 'fraction', milli: pod.gpuMilli }, topology: {}, ...host };
}

/** GPU milli a pod requests in total. */
export function podGpuMilli(pod: TracePod): number {
  return pod.numGpu * pod.gpuMilli;
}

export function memoryBytesOf(mib: number): number {
  return mib * MIB;
}
