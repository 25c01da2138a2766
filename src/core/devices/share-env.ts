// The runtime contract of a GPU share: what a fractional pod's containers are told. At admission
// the webhook adds environment variables that the kubelet resolves from the pod's own annotations
// (downward API) when the container starts; at bind the Binding carries those annotations. So the
// variables hold the device and share Phalanx decided, and a pod bound without them (or started
// before the annotation existed) resolves NVIDIA_VISIBLE_DEVICES to "" — no device, fail closed —
// even over an image's NVIDIA_VISIBLE_DEVICES=all. Pure.
import { Decision } from '../names.js';
import { MILLI_PER_GPU, type Assignment } from '../types.js';

export interface ShareEnvNames {
  /** The device list the NVIDIA container toolkit reads. */
  readonly visibleDevices: string;
  /** The share as a fraction of one device, e.g. "0.5". */
  readonly fraction: string;
  /** The share's GPU memory in MiB. */
  readonly memoryMib: string;
  /** HAMi-core's memory cap (e.g. "40960m"), set only with `hami`. */
  readonly hamiMemoryLimit: string;
  /** HAMi-core's SM (compute) cap in percent, set only with `hami`. */
  readonly hamiSmLimit: string;
}

export const DEFAULT_SHARE_ENV_NAMES: ShareEnvNames = {
  visibleDevices: 'NVIDIA_VISIBLE_DEVICES',
  fraction: 'PHALANX_GPU_FRACTION',
  memoryMib: 'PHALANX_GPU_MEMORY_MIB',
  hamiMemoryLimit: 'CUDA_DEVICE_MEMORY_LIMIT',
  hamiSmLimit: 'CUDA_DEVICE_SM_LIMIT',
};

export interface ShareEnvContract {
  readonly names: ShareEnvNames;
  /** Also set HAMi-core's CUDA_DEVICE_MEMORY_LIMIT / CUDA_DEVICE_SM_LIMIT (containers preload it). */
  readonly hami: boolean;
}

/** One container env entry, as the Pod API spells it. */
export type EnvVar =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly valueFrom: { readonly fieldRef: { readonly fieldPath: string } } };

const fromAnnotation = (name: string, key: string): EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${key}']` } },
});

/**
 * The variables every container of a fractional pod gets, in order. A later entry may use an earlier
 * one (`$(NAME)`, expanded by the kubelet): the HAMi memory cap is the share's MiB with an "m".
 */
export function shareEnv(contract: ShareEnvContract): EnvVar[] {
  const { names } = contract;
  const vars: EnvVar[] = [
    fromAnnotation(names.visibleDevices, Decision.gpuUuid),
    fromAnnotation(names.fraction, Decision.gpuShare),
    fromAnnotation(names.memoryMib, Decision.gpuMemoryMib),
  ];
  if (contract.hami) {
    vars.push({ name: names.hamiMemoryLimit, value: `$(${names.memoryMib})m` });
    vars.push(fromAnnotation(names.hamiSmLimit, Decision.gpuSmLimit));
  }
  return vars;
}

const MIB = 1024 * 1024;

/** "0.5", "0.25", "0.125": the milli-GPU share as a decimal fraction without trailing zeros. */
export function formatFraction(milli: number): string {
  return (milli / MILLI_PER_GPU).toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * The decision annotations a share's Binding carries: the device UUID, the fraction, its memory in
 * MiB (the memory asked for, else the fraction of the device's memory) and its SM percent
 * (rounded up, 1..100). Undefined for whole-GPU assignments: the device plugin tells those itself.
 */
export function shareAnnotations(
  assignment: Assignment,
  uuid: string,
  deviceMemoryBytes: number,
): Record<string, string> | undefined {
  const device = assignment.devices[0];
  if (assignment.whole || device === undefined) return undefined;
  const memoryBytes =
    device.memoryBytes > 0 ? device.memoryBytes : (deviceMemoryBytes * device.milli) / MILLI_PER_GPU;
  return {
    [Decision.gpuUuid]: uuid,
    [Decision.gpuShare]: formatFraction(device.milli),
    [Decision.gpuMemoryMib]: String(Math.floor(memoryBytes / MIB)),
    [Decision.gpuSmLimit]: String(Math.min(100, Math.max(1, Math.ceil(device.milli / 10)))),
  };
}
