// Gang identity from what controllers and users already put on their pods, so upstream Workload API,
// LeaderWorkerSet, JobSet, indexed Job and coscheduling workloads become gangs with no CRD and no
// extra controller.
// Pure: the owner objects a size depends on (Job, PodGroup) are named here and read by the caller.
import type { PodShape, StringMap } from '../kube-shapes.js';
import { Alias, Req, Resource, Workload } from '../names.js';

export type GangSource =
  'explicit' | 'workload-api' | 'coscheduling' | 'leaderworkerset' | 'jobset' | 'indexed-job';

/** Where the gang's size comes from. */
export type GangSizeSource =
  /** phalanx.dev/group-size as the user wrote it (pod-demand validates it under that name). */
  | { readonly kind: 'explicit'; readonly value: string }
  /** Another annotation on the pod (LeaderWorkerSet size); `field` names it for error messages. */
  | { readonly kind: 'annotation'; readonly field: string; readonly value: string }
  /** The owning Job's parallelism (or completions when smaller): the caller reads the Job. */
  | { readonly kind: 'job'; readonly name: string }
  /** A scheduler-plugins PodGroup's minMember: the caller reads the PodGroup. */
  | { readonly kind: 'pod-group'; readonly name: string }
  /**
   * An upstream Workload API PodGroup (scheduling.k8s.io): the caller reads its gang minCount and its
   * topology constraint.
   */
  | { readonly kind: 'workload-pod-group'; readonly name: string }
  /** Nothing says how large the gang is; `why` explains it to the user. */
  | { readonly kind: 'unknown'; readonly why: string };

export interface WorkloadGang {
  readonly source: GangSource;
  /** Group name, not namespaced (the canonical `phalanx.dev/pod-group` value). */
  readonly group: string;
  readonly size: GangSizeSource;
}

const GPU_RESOURCES: readonly string[] = [Resource.nvidiaGpu, Resource.gpuMilli];
const GPU_ANNOTATIONS: readonly string[] = [
  Req.gpuFraction,
  Req.gpuMemory,
  Alias.gpuFraction,
  Alias.gpuMemory,
];

/** True when the pod asks for any GPU: a GPU resource in any container, or a fraction/memory annotation. */
export function requestsGpu(pod: PodShape): boolean {
  const annotations = pod.metadata?.annotations ?? {};
  if (GPU_ANNOTATIONS.some((key) => annotations[key] !== undefined)) return true;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.some((c) =>
    GPU_RESOURCES.some(
      (r) => c.resources?.requests?.[r] !== undefined || c.resources?.limits?.[r] !== undefined,
    ),
  );
}

/**
 * A LeaderWorkerSet leader (worker-index 0). With startupPolicy LeaderReady its workers are created only
 * once it runs, so it must never wait for them (e.g. behind a scheduling gate).
 */
export function isLeaderWorkerSetLeader(pod: PodShape): boolean {
  const labels = pod.metadata?.labels ?? {};
  return labels[Workload.lwsName] !== undefined && labels[Workload.lwsWorkerIndex] === '0';
}

/** Gang size of an indexed Job: pods that run at once, i.e. parallelism, or completions when smaller. */
export function jobGangSize(job: {
  readonly parallelism?: number | undefined;
  readonly completions?: number | undefined;
}): number {
  const parallelism = job.parallelism ?? 1;
  return job.completions === undefined ? parallelism : Math.min(parallelism, job.completions);
}

function jobNameOf(pod: PodShape, labels: StringMap): string | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'Job' && o.controller !== false);
  return labels[Workload.jobName] ?? owner?.name;
}

function leaderWorkerSet(labels: StringMap, annotations: StringMap): WorkloadGang | undefined {
  const name = labels[Workload.lwsName];
  const groupIndex = labels[Workload.lwsGroupIndex];
  if (name === undefined || groupIndex === undefined) return undefined;
  const size = annotations[Workload.lwsSize];
  return {
    source: 'leaderworkerset',
    group: `${name}-${groupIndex}`,
    size:
      size === undefined
        ? { kind: 'unknown', why: `LeaderWorkerSet pod has no ${Workload.lwsSize} annotation` }
        : { kind: 'annotation', field: `annotation ${Workload.lwsSize}`, value: size },
  };
}

function jobSet(pod: PodShape, labels: StringMap): WorkloadGang | undefined {
  const name = labels[Workload.jobsetName];
  const replicatedJob = labels[Workload.jobsetReplicatedJob];
  const jobIndex = labels[Workload.jobsetJobIndex];
  if (name === undefined || replicatedJob === undefined || jobIndex === undefined) return undefined;
  // JobSet names each child Job exactly like this group, so the owner lookup finds it either way.
  const group = `${name}-${replicatedJob}-${jobIndex}`;
  return {
    source: 'jobset',
    group,
    size: { kind: 'job', name: jobNameOf(pod, labels) ?? group },
  };
}

function indexedJob(pod: PodShape, labels: StringMap, annotations: StringMap): WorkloadGang | undefined {
  const indexed =
    labels[Workload.jobCompletionIndex] !== undefined ||
    annotations[Workload.jobCompletionIndex] !== undefined;
  const name = jobNameOf(pod, labels);
  if (!indexed || name === undefined) return undefined;
  return { source: 'indexed-job', group: name, size: { kind: 'job', name } };
}

function workloadApi(pod: PodShape): WorkloadGang | undefined {
  const name = pod.spec?.schedulingGroup?.podGroupName;
  if (name === undefined || name === '') return undefined;
  return { source: 'workload-api', group: name, size: { kind: 'workload-pod-group', name } };
}

function coscheduling(labels: StringMap): WorkloadGang | undefined {
  const name = labels[Workload.coschedulingPodGroup];
  if (name === undefined || name === '') return undefined;
  return { source: 'coscheduling', group: name, size: { kind: 'pod-group', name } };
}

/**
 * The gang a pod belongs to, or undefined when it belongs to none.
 *
 * Precedence: explicit `phalanx.dev/pod-group` (+ `group-size`) always wins; then the upstream
 * Workload API's `spec.schedulingGroup.podGroupName`; then the coscheduling label; then
 * LeaderWorkerSet; then JobSet; then indexed Job. An explicit `group-size` alone sizes a derived group
 * (e.g. a coscheduling label plus a Phalanx size), except an upstream PodGroup's: that one is read
 * anyway for its topology constraint (the pod's own annotation still wins when admission merges them).
 * An explicit `pod-group` without `group-size` is left for validation to refuse: the user named the
 * group, so the user sizes it.
 *
 * JobSet and indexed-Job gangs are derived only for pods that request GPUs: every pod of one Job
 * shares a template, so this is a per-group decision, and it keeps CPU-only Jobs (often run in waves,
 * parallelism above what fits at once) from turning all-or-nothing. LeaderWorkerSet pods are always
 * grouped: the leader template may have no GPU while its workers do, and leaving it out would leave
 * the group one member short forever. Upstream PodGroup pods are always grouped for the same reason
 * (and kube-scheduler requires one schedulerName across a PodGroup, so all of them must be routed).
 */
export function identifyWorkloadGang(pod: PodShape): WorkloadGang | undefined {
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const explicitGroup = annotations[Req.podGroup];
  const explicitSize = annotations[Req.groupSize];
  if (explicitGroup !== undefined) {
    // Without a size there is nothing to derive: pod-demand validation refuses the half-pair.
    if (explicitSize === undefined) return undefined;
    return {
      source: 'explicit',
      group: explicitGroup,
      size: { kind: 'explicit', value: explicitSize },
    };
  }
  const gpu = requestsGpu(pod);
  const upstream = workloadApi(pod);
  if (upstream !== undefined) return upstream;
  const derived =
    coscheduling(labels) ??
    leaderWorkerSet(labels, annotations) ??
    (gpu ? (jobSet(pod, labels) ?? indexedJob(pod, labels, annotations)) : undefined);
  if (derived === undefined || explicitSize === undefined) return derived;
  return { ...derived, size: { kind: 'explicit', value: explicitSize } };
}
