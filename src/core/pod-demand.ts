// PodDemand, parsed once per pod: what it asks of GPUs (whole devices, a share of one device, or an
// amount of device memory), its gang, its topology constraint and its policy. Every contradiction is
// a DemandError naming the field and the rule, so the webhook can deny with an exact reason.
//
// GPU memory (phalanx.dev/gpu-memory and its alias gpu-memory): a bare number is MiB, as other GPU
// orchestrators use it ("20000"); a Kubernetes quantity is also accepted ("20Gi", "80G").
import { MAX_GROUP_SIZE, readAliased, readGang, readPolicy, readTopology } from './demand-annotations.js';
import { MAX_DEVICES_PER_NODE } from './inventory.js';
import { DemandError, Rule } from './errors.js';
import type { PodShape, StringMap } from './kube-shapes.js';
import { Alias, NodeLabel, Req, Resource } from './names.js';
import { asDemand, effectivePodAmount, extendedResourceAmount, requestAmount } from './pod-resources.js';
import {
  formatBytes,
  formatGpus,
  parseCount,
  parseCpuMilli,
  parseFractionMilli,
  parseMemoryBytes,
  parseMemoryBytesDefaultMiB,
} from './quantity.js';
import { MILLI_PER_GPU } from './types.js';
import type { GpuRequest, PodDemand } from './types.js';

/**
 * The most whole GPUs one pod may ask for, whatever the configuration says: no node has more devices
 * (core/inventory refuses larger nodes). `limits.maxGpusPerPod` (default DEFAULT_MAX_GPUS_PER_POD)
 * may only lower it.
 */
export const MAX_GPUS_PER_POD = MAX_DEVICES_PER_NODE;
/** Default of `limits.maxGpusPerPod`. */
export const DEFAULT_MAX_GPUS_PER_POD = 64;
/** More memory than any GPU has (16 TiB); larger amounts are typos, refused before any arithmetic. */
export const MAX_GPU_MEMORY_BYTES = 2 ** 44;

/** Configured bounds on what one pod may ask for (the `limits` settings); each is capped by its hard maximum. */
export interface DemandLimits {
  /** Members of one gang (phalanx.dev/group-size and every derived size); at most MAX_GROUP_SIZE. */
  readonly maxGroupSize?: number;
  /** Whole nvidia.com/gpu devices of one pod; at most MAX_GPUS_PER_POD. */
  readonly maxGpusPerPod?: number;
}

export interface DemandOptions extends DemandLimits {
  /** Memory of the largest device in the cluster, when known: larger memory requests can never fit. */
  readonly maxDeviceMemoryBytes?: number;
  /** Configured topology levels, closest first. When given, other level names are rejected. */
  readonly levels?: readonly string[];
  /** Known policy names. When given, other names in phalanx.dev/policy are rejected. */
  readonly policies?: readonly string[];
}

const wholeGpus = extendedResourceAmount(Resource.nvidiaGpu, parseCount);
const gpuMilli = extendedResourceAmount(Resource.gpuMilli, parseCount);
const cpuRequest = requestAmount('cpu', parseCpuMilli);
const memoryRequest = requestAmount('memory', parseMemoryBytes);

/** Parses a pod's demand; throws DemandError when a request is invalid or contradictory. */
export function parsePodDemand(pod: PodShape, opts: DemandOptions = {}): PodDemand {
  const annotations = pod.metadata?.annotations ?? {};
  const gpu = parseGpuRequest(pod, annotations, opts);
  const gang = readGang(
    annotations,
    pod.metadata?.namespace ?? 'default',
    Math.min(opts.maxGroupSize ?? MAX_GROUP_SIZE, MAX_GROUP_SIZE),
  );
  const policy = readPolicy(annotations, opts.policies);
  const cpuMilli = effectivePodAmount(pod, cpuRequest);
  const memoryBytes = effectivePodAmount(pod, memoryRequest);
  const models = gpu.kind === 'none' ? [] : allowedModels(pod);
  return {
    gpu,
    ...(models.length > 0 ? { models } : {}),
    topology: readTopology(annotations, opts.levels),
    ...(gang ? { gang } : {}),
    ...(policy !== undefined ? { policy } : {}),
    ...(cpuMilli > 0 ? { cpuMilli } : {}),
    ...(memoryBytes > 0 ? { memoryBytes } : {}),
  };
}

/**
 * The GPU models the pod's node selection allows (nvidia.com/gpu.product), so the placement policy
 * learns which models constrained pods need: the nodeSelector's value, or the values of an `In` on
 * the label that every required node-affinity term states. Empty = any model.
 */
export function allowedModels(pod: PodShape): string[] {
  const selected = pod.spec?.nodeSelector?.[NodeLabel.gpuProduct];
  if (selected !== undefined) return [selected];
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined || terms.length === 0) return [];
  const models = new Set<string>();
  for (const term of terms) {
    const inModels = (term.matchExpressions ?? []).find(
      (e) => e.key === NodeLabel.gpuProduct && e.operator === 'In' && (e.values?.length ?? 0) > 0,
    );
    if (inModels === undefined) return [];
    for (const model of inModels.values ?? []) models.add(model);
  }
  return [...models].sort();
}

/** Whether Phalanx places this pod's GPUs at all. */
export function isManaged(demand: PodDemand): boolean {
  return demand.gpu.kind !== 'none';
}

/** The pod's phalanx.dev/gpu-milli extended-resource request (containers combined), if any. */
export function requestedGpuMilli(pod: PodShape): number | undefined {
  const milli = effectivePodAmount(pod, gpuMilli);
  return milli > 0 ? milli : undefined;
}

function parseGpuRequest(pod: PodShape, annotations: StringMap, opts: DemandOptions): GpuRequest {
  checkNumDevices(annotations);
  const whole = effectivePodAmount(pod, wholeGpus);
  const milliResource = requestedGpuMilli(pod);
  const fraction = readAliased(annotations, Req.gpuFraction, Alias.gpuFraction, parseFractionMilli);
  const memory = readAliased(annotations, Req.gpuMemory, Alias.gpuMemory, parseMemoryBytesDefaultMiB);

  if (whole > 0) {
    const share = fraction ?? memory;
    if (share) {
      throw new DemandError(
        share.key,
        Rule.conflict,
        `annotation ${share.key}: asks for part of one GPU, but the pod also requests ${whole} whole ` +
          `${Resource.nvidiaGpu}; ask for one or the other`,
      );
    }
    if (milliResource !== undefined) {
      throw new DemandError(
        Resource.gpuMilli,
        Rule.conflict,
        `resource ${Resource.gpuMilli}: ${milliResource} is a share of one GPU, but the pod also requests ` +
          `${whole} whole ${Resource.nvidiaGpu}; ask for one or the other`,
      );
    }
    const max = Math.min(opts.maxGpusPerPod ?? MAX_GPUS_PER_POD, MAX_GPUS_PER_POD);
    if (whole > max) {
      throw new DemandError(
        Resource.nvidiaGpu,
        Rule.tooLarge,
        `resource ${Resource.nvidiaGpu}: ${whole} whole GPUs is more than one pod may ask for, ${max} ` +
          `(setting limits.maxGpusPerPod)`,
      );
    }
    return { kind: 'whole', count: whole };
  }

  const milli = shareMilli(milliResource, fraction);
  const memoryBytes = memory ? checkMemory(memory.key, memory.value, opts.maxDeviceMemoryBytes) : undefined;
  if (milli !== undefined) {
    return memoryBytes === undefined ? { kind: 'fraction', milli } : { kind: 'fraction', milli, memoryBytes };
  }
  return memoryBytes === undefined ? { kind: 'none' } : { kind: 'memory', memoryBytes };
}

/** Only single-device fractions exist here; say so rather than silently placing one device. */
function checkNumDevices(annotations: StringMap): void {
  const key = Alias.gpuFractionNumDevices;
  const raw = annotations[key];
  if (raw === undefined) return;
  const count = asDemand(key, () => parseCount(raw, `annotation ${key}`));
  if (count !== 1) {
    throw new DemandError(
      key,
      Rule.unsupported,
      `annotation ${key}: ${JSON.stringify(raw)} is not supported; a fraction is always a share of one GPU ` +
        `(use "1" or remove the annotation)`,
    );
  }
}

function shareMilli(
  milliResource: number | undefined,
  fraction: { key: string; value: number } | undefined,
): number | undefined {
  if (milliResource === undefined) return fraction?.value;
  if (milliResource >= MILLI_PER_GPU) {
    throw new DemandError(
      Resource.gpuMilli,
      Rule.outOfRange,
      `resource ${Resource.gpuMilli}: ${milliResource} must be in 1..999 (a share of one GPU; ` +
        `request whole devices with ${Resource.nvidiaGpu})`,
    );
  }
  if (fraction && fraction.value !== milliResource) {
    throw new DemandError(
      Resource.gpuMilli,
      Rule.conflict,
      `resource ${Resource.gpuMilli}: ${milliResource} (${formatGpus(milliResource)}) disagrees with annotation ` +
        `${fraction.key} (${formatGpus(fraction.value)})`,
    );
  }
  return milliResource;
}

function checkMemory(key: string, bytes: number, maxDeviceMemoryBytes: number | undefined): number {
  if (bytes <= 0) {
    throw new DemandError(key, Rule.outOfRange, `annotation ${key}: must be more than 0`);
  }
  if (bytes > MAX_GPU_MEMORY_BYTES) {
    throw new DemandError(
      key,
      Rule.tooLarge,
      `annotation ${key}: ${formatBytes(bytes)} is more than any GPU has (at most ${formatBytes(MAX_GPU_MEMORY_BYTES)})`,
    );
  }
  if (maxDeviceMemoryBytes !== undefined && bytes > maxDeviceMemoryBytes) {
    throw new DemandError(
      key,
      Rule.tooLarge,
      `annotation ${key}: ${formatBytes(bytes)} is more than the largest GPU in the cluster ` +
        `(${formatBytes(maxDeviceMemoryBytes)})`,
    );
  }
  return bytes;
}
