// Every annotation, label, resource and scheduler name Phalanx reads or writes.
// These spellings are the contract with users; README's annotation table mirrors this file.

export const PREFIX = 'phalanx.dev/';

/** Request annotations: written by users (or by the webhook from aliases). */
export const Req = {
  gpuFraction: 'phalanx.dev/gpu-fraction',
  gpuMemory: 'phalanx.dev/gpu-memory',
  podGroup: 'phalanx.dev/pod-group',
  groupSize: 'phalanx.dev/group-size',
  topologyRequired: 'phalanx.dev/topology-required',
  topologyPreferred: 'phalanx.dev/topology-preferred',
  /** `barrier` or `eager`: when the gang's members are bound (overrides the gangCommit setting). */
  gangCommit: 'phalanx.dev/gang-commit',
  policy: 'phalanx.dev/policy',
} as const;

/** Decision annotations: written only by the extender at bind; the webhook denies forgeries. */
export const Decision = {
  /** Devices and shares on the bound node, encoded by core/assignment-codec. */
  gpuDevices: 'phalanx.dev/gpu-devices',
  /** Topology level a gang achieved (a level label key, or "node"). */
  placementLevel: 'phalanx.dev/placement-level',
  /**
   * UUID of the physical GPU a share is on, as its reservation pod reported it (core/devices). The
   * webhook points the container's NVIDIA_VISIBLE_DEVICES at this annotation (downward API).
   */
  gpuUuid: 'phalanx.dev/gpu-uuid',
  /** The share told to the container: the fraction ("0.5"), memory in MiB, SM percent (1..100). */
  gpuShare: 'phalanx.dev/gpu-share',
  gpuMemoryMib: 'phalanx.dev/gpu-memory-mib',
  gpuSmLimit: 'phalanx.dev/gpu-sm-limit',
} as const;

export const DECISION_ANNOTATIONS: readonly string[] = Object.values(Decision);

/** Aliases used by other GPU orchestrators, accepted so workloads migrate without edits. */
export const Alias = {
  gpuFraction: 'gpu-fraction',
  gpuMemory: 'gpu-memory',
  gpuFractionNumDevices: 'gpu-fraction-num-devices',
  kaiTopologyRequired: 'kai.scheduler/topology-required-placement',
  kaiTopologyPreferred: 'kai.scheduler/topology-preferred-placement',
} as const;

export const Resource = {
  /** Whole devices, advertised by the NVIDIA device plugin. */
  nvidiaGpu: 'nvidia.com/gpu',
  /** Countable GPU share (milli-GPU) of a fractional pod, for ResourceQuota and Kueue. */
  gpuMilli: 'phalanx.dev/gpu-milli',
} as const;

/** Node labels set by GPU Feature Discovery / Topograph / Kubernetes. */
export const NodeLabel = {
  clique: 'nvidia.com/gpu.clique',
  leaf: 'network.topology.nvidia.com/leaf',
  zone: 'topology.kubernetes.io/zone',
  gpuProduct: 'nvidia.com/gpu.product',
  gpuCount: 'nvidia.com/gpu.count',
  /** MiB per device. */
  gpuMemory: 'nvidia.com/gpu.memory',
} as const;

export const NodeAnnotation = {
  /** NVLink islands inside a node, e.g. "0-3;4-7" (device index ranges separated by ';'). Default: one island. */
  nvlinkIslands: 'phalanx.dev/nvlink-islands',
} as const;

/** Default topology levels, closest first. */
export const DEFAULT_TOPOLOGY_LEVELS: readonly string[] = [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone];

/** Pseudo-level meaning "all members on one node". */
export const NODE_LEVEL = 'node';

export const DEFAULT_SCHEDULER_NAME = 'phalanx-scheduler';

/** Pod label the serving (leader) replica sets on itself; the Services select on it. */
export const LEADER_POD_LABEL = 'phalanx.dev/leader';

/** Scheduling gate the webhook adds to gang members; lifted when the group is complete. */
export const GANG_GATE = 'phalanx.dev/gang';

/** Workload labels/annotations Phalanx derives gangs from. */
export const Workload = {
  lwsName: 'leaderworkerset.sigs.k8s.io/name',
  lwsGroupIndex: 'leaderworkerset.sigs.k8s.io/group-index',
  lwsWorkerIndex: 'leaderworkerset.sigs.k8s.io/worker-index',
  lwsGroupKey: 'leaderworkerset.sigs.k8s.io/group-key',
  lwsSize: 'leaderworkerset.sigs.k8s.io/size',
  lwsLeaderName: 'leaderworkerset.sigs.k8s.io/leader-name',
  jobCompletionIndex: 'batch.kubernetes.io/job-completion-index',
  jobName: 'batch.kubernetes.io/job-name',
  jobsetName: 'jobset.sigs.k8s.io/jobset-name',
  jobsetReplicatedJob: 'jobset.sigs.k8s.io/replicatedjob-name',
  jobsetJobIndex: 'jobset.sigs.k8s.io/job-index',
  coschedulingPodGroup: 'scheduling.x-k8s.io/pod-group',
} as const;

/** The upstream Workload API (scheduling.k8s.io/v1beta1, Kubernetes ≥ 1.37): field paths, for messages. */
export const WorkloadApi = {
  /** Pod field naming the PodGroup. */
  podGroupField: 'spec.schedulingGroup.podGroupName',
  /** PodGroup field holding the gang size. */
  minCountField: 'spec.schedulingPolicy.gang.minCount',
  /** PodGroup field holding the topology keys (one domain of each for the whole group). */
  topologyField: 'spec.schedulingConstraints.topology',
  /** Node label kube-scheduler's topology constraints use for "one node"; Phalanx's `node` level. */
  hostnameLabel: 'kubernetes.io/hostname',
} as const;
