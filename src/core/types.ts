// Domain types shared by every core module and by the adapters. Contract file: keep it documented.

/** A device is 1000 milli-GPU. */
export const MILLI_PER_GPU = 1000;

/** What one pod asks of GPUs. Parsed once per pod (core/pod-demand). */
export type GpuRequest =
  | { readonly kind: 'none' }
  /** `count` whole devices on one node (nvidia.com/gpu). */
  | { readonly kind: 'whole'; readonly count: number }
  /** A share of one device: `milli` in 1..999, optionally with a memory amount in bytes. */
  | { readonly kind: 'fraction'; readonly milli: number; readonly memoryBytes?: number }
  /** Memory only: the share is derived per device as ceil(1000 * memoryBytes / deviceMemory). */
  | { readonly kind: 'memory'; readonly memoryBytes: number };

/** When a gang's members are bound: together once all reached bind, or each as soon as it does. */
export const GANG_COMMITS = ['barrier', 'eager'] as const;
export type GangCommit = (typeof GANG_COMMITS)[number];

export interface GangRef {
  /** Group key, namespaced: "<namespace>/<pod-group>". */
  readonly key: string;
  readonly name: string;
  readonly size: number;
  /** From phalanx.dev/gang-commit; absent: the gangCommit setting. */
  readonly commit?: GangCommit;
}

export interface TopologyConstraint {
  /** A level key (node label key or "node") that all gang members must share. Hard. */
  readonly required?: string;
  /** A level key tried first. Soft. */
  readonly preferred?: string;
}

export interface PodDemand {
  readonly gpu: GpuRequest;
  readonly gang?: GangRef;
  readonly topology: TopologyConstraint;
  /** Allowed GPU models (nvidia.com/gpu.product); empty/absent = any. */
  readonly models?: readonly string[];
  /** Scoring policy override for this pod (phalanx.dev/policy). */
  readonly policy?: string;
  /** Host CPU (milli) and memory (bytes) requests; used where host resources are tracked. */
  readonly cpuMilli?: number;
  readonly memoryBytes?: number;
}

/** Static facts about one GPU device. */
export interface DeviceSpec {
  readonly index: number;
  /** Bytes of device memory; 0 when unknown. */
  readonly memoryBytes: number;
}

/** Static facts about one node, built from its Node object (core/inventory). */
export interface NodeInventory {
  readonly name: string;
  readonly devices: readonly DeviceSpec[];
  readonly model: string;
  /** Device indices grouped by NVLink island; default one island holding every device. */
  readonly islands: readonly (readonly number[])[];
  /** Node labels, used for topology levels. */
  readonly labels: Readonly<Record<string, string>>;
  readonly unschedulable: boolean;
}

/** The share one pod holds on one device. `milli` is 1000 for a whole device. */
export interface DeviceShare {
  readonly index: number;
  readonly milli: number;
  readonly memoryBytes: number;
}

/** Where a pod's GPU demand is placed: a node and the device shares on it. */
export interface Assignment {
  readonly node: string;
  /** true: devices are given whole (never shared); false: one shared device. */
  readonly whole: boolean;
  readonly devices: readonly DeviceShare[];
}

/** Live state of one device as the ledger sees it. */
export interface DeviceState {
  readonly index: number;
  readonly memoryBytes: number;
  readonly usedMilli: number;
  readonly usedMemoryBytes: number;
  /** 'free': untouched; 'whole': given whole to one pod; 'shared': holds fractions. */
  readonly mode: 'free' | 'whole' | 'shared';
}

/** Host CPU and memory of a node, where the caller tracks them (the trace replayer does). */
export interface HostResources {
  readonly cpuMilli: number;
  readonly cpuMilliUsed: number;
  readonly memoryBytes: number;
  readonly memoryBytesUsed: number;
}

/** Live GPU state of one node: what policies score and device-fit searches. */
export interface NodeGpuState {
  readonly inventory: NodeInventory;
  readonly devices: readonly DeviceState[];
  readonly host?: HostResources;
}

/** One Kueue ClusterQueue's borrowing of one resource in one flavor (read by src/kube, shown by metrics). */
export interface BorrowedShare {
  readonly clusterQueue: string;
  readonly flavor: string;
  readonly resource: string;
  /** The quantity as a number: 32 GPUs, 32000 milli-GPU (Kueue writes "32k"). */
  readonly borrowed: number;
}

/** Injected clock (milliseconds since epoch). */
export interface Clock {
  now(): number;
}

/** Injected randomness in [0, 1). */
export interface Rng {
  next(): number;
}
