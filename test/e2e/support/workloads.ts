// Manifests of the workloads the scenarios submit. Pods carry no schedulerName: the webhook routes
// them, as it would for a user who only added a GPU request or a Phalanx annotation.
import type { V1Deployment, V1Job, V1Pod, V1PodSpec, V1StatefulSet } from '@kubernetes/client-node';

export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
export const GPU_FRACTION = 'phalanx.dev/gpu-fraction';
export const POD_GROUP = 'phalanx.dev/pod-group';
export const GROUP_SIZE = 'phalanx.dev/group-size';
export const LWS = {
  name: 'leaderworkerset.sigs.k8s.io/name',
  groupIndex: 'leaderworkerset.sigs.k8s.io/group-index',
  size: 'leaderworkerset.sigs.k8s.io/size',
} as const;

function podSpec(gpus?: number): V1PodSpec {
  const resources =
    gpus === undefined
      ? {}
      : {
          resources: {
            requests: { 'nvidia.com/gpu': String(gpus) },
            limits: { 'nvidia.com/gpu': String(gpus) },
          },
        };
  return {
    containers: [{ name: 'main', image: PAUSE_IMAGE, ...resources }],
    terminationGracePeriodSeconds: 0,
  };
}

/** A Deployment of fractional replicas, asking by annotation only (the webhook adds the milli request). */
export function fractionalDeployment(
  name: string,
  namespace: string,
  replicas: number,
  fraction: string,
): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels, annotations: { [GPU_FRACTION]: fraction } }, spec: podSpec() },
    },
  };
}

/** An indexed Job: the webhook derives the gang (name = Job, size = parallelism) from its pods' labels. */
export function indexedJob(name: string, namespace: string, pods: number, gpusPerPod: number): V1Job {
  return {
    metadata: { name, namespace },
    spec: {
      completionMode: 'Indexed',
      parallelism: pods,
      completions: pods,
      backoffLimit: 0,
      template: {
        metadata: { labels: { app: name } },
        spec: { ...podSpec(gpusPerPod), restartPolicy: 'Never' },
      },
    },
  };
}

/**
 * A StatefulSet whose pods look like one LeaderWorkerSet group (its controller is not available
 * here): the LWS name and group-index labels and the size annotation, as LWS puts them on every
 * pod of group 0. Parallel pod management, as LWS uses for its workers.
 */
export function lwsLikeStatefulSet(
  name: string,
  namespace: string,
  size: number,
  gpusPerPod: number,
): V1StatefulSet {
  const labels = { app: name, [LWS.name]: name, [LWS.groupIndex]: '0' };
  return {
    metadata: { name, namespace },
    spec: {
      replicas: size,
      serviceName: name,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels, annotations: { [LWS.size]: String(size) } },
        spec: podSpec(gpusPerPod),
      },
    },
  };
}

/** One member of an explicitly named gang. */
export function gangPod(name: string, namespace: string, group: string, size: number, gpus: number): V1Pod {
  return {
    metadata: {
      name,
      namespace,
      labels: { gang: group },
      annotations: { [POD_GROUP]: group, [GROUP_SIZE]: String(size) },
    },
    spec: podSpec(gpus),
  };
}

/** A pod with only annotations (for webhook scenarios). */
export function annotatedPod(
  name: string,
  namespace: string,
  annotations: Record<string, string>,
  gpus?: number,
): V1Pod {
  return { metadata: { name, namespace, annotations }, spec: podSpec(gpus) };
}
