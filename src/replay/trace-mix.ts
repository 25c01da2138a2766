// The workload-mix figures the openb trace families are defined by (see the trace README): the share
// of the GPU request held by GPU-sharing pods, by multi-GPU pods and by model-constrained pods, and
// the share of CPU-only pods by pod count.
import { podGpuMilli } from './trace-convert.js';
import type { TracePod } from './trace-csv.js';

export const isCpuOnly = (pod: TracePod): boolean => podGpuMilli(pod) === 0;
export const isSharing = (pod: TracePod): boolean => pod.gpuMilli > 0 && pod.gpuMilli < 1000;
export const isMultiGpu = (pod: TracePod): boolean => pod.numGpu > 1 && pod.gpuMilli > 0;
export const isConstrained = (pod: TracePod): boolean => podGpuMilli(pod) > 0 && pod.gpuSpec.length > 0;

/** The pods' total GPU request and the part of it held by the pods of one class, milli. */
export function gpuMilliSplit(
  pods: readonly TracePod[],
  inClass: (pod: TracePod) => boolean,
): { readonly total: number; readonly inClass: number } {
  let total = 0;
  let inside = 0;
  for (const pod of pods) {
    const milli = podGpuMilli(pod);
    total += milli;
    if (inClass(pod)) inside += milli;
  }
  return { total, inClass: inside };
}

export interface TraceMix {
  readonly pods: number;
  /** Total GPU request, milli. */
  readonly gpuMilli: number;
  /** Fractions in [0, 1]. */
  readonly sharingShare: number;
  readonly multiGpuShare: number;
  readonly constrainedShare: number;
  readonly cpuOnlyShare: number;
}

export function traceMix(pods: readonly TracePod[]): TraceMix {
  let total = 0;
  let sharing = 0;
  let multi = 0;
  let constrained = 0;
  let cpuOnly = 0;
  for (const pod of pods) {
    const milli = podGpuMilli(pod);
    total += milli;
    if (isSharing(pod)) sharing += milli;
    if (isMultiGpu(pod)) multi += milli;
    if (isConstrained(pod)) constrained += milli;
    if (isCpuOnly(pod)) cpuOnly += 1;
  }
  const ofGpu = (milli: number): number => (total > 0 ? milli / total : 0);
  return {
    pods: pods.length,
    gpuMilli: total,
    sharingShare: ofGpu(sharing),
    multiGpuShare: ofGpu(multi),
    constrainedShare: ofGpu(constrained),
    cpuOnlyShare: pods.length > 0 ? cpuOnly / pods.length : 0,
  };
}
