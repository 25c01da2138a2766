// Manifests of the workloads the scenarios submit. Pods carry no schedulerName: the webhook routes
// them, as it would for a user who only added a GPU request or a Phalanx annotation.
import { createHash } from 'node:crypto';
import type { V1Deployment, V1Job, V1Pod, V1PodSpec, V1StatefulSet } from '@kubernetes/client-node';

export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';
export const GPU_FRACTION = 'phalanx.dev/gpu-fraction';
export const POD_GROUP = 'phalanx.dev/pod-group';
export const GROUP_SIZE = 'phalanx.dev/group-size';
export const LWS = {
  name: 'leaderworkerset.sigs.k8s.io/name',
  groupIndex: 'leaderworkerset.sigs.k8s.io/group-index',
  size: 'leaderworkerset.sigs.k8s.io/size',
  workerIndex: 'leaderworkerset.sigs.k8s.io/worker-index',
  groupKey: 'leaderworkerset.sigs.k8s.io/group-key',
  templateRevisionHash: 'leaderworkerset.sigs.k8s.io/template-revision-hash',
  leaderName: 'leaderworkerset.sigs.k8s.io/leader-name',
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

/**
 * The LWS pod webhook's group key: sha1 of "<namespace>/<leader pod name>" (kubernetes-sigs/lws,
 * pkg/webhooks/pod_webhook.go genGroupUniqueKey).
 */
export function lwsGroupKey(namespace: string, leaderPod: string): string {
  return createHash('sha1').update(`${namespace}/${leaderPod}`).digest('hex');
}

/** A fixed stand-in for the controller's template-revision-hash (the value only has to be shared). */
const LWS_REVISION = '7d4f9c8b6';

/**
 * The leader StatefulSet the LWS controller creates for a LeaderWorkerSet of one group, as its pods
 * come out of admission: the controller's template labels (name, worker-index 0, revision hash) and
 * size annotation, plus the group-index and group-key labels the LWS pod webhook adds to a leader
 * (group-index = the pod's ordinal: with one replica always 0, so written into the template here;
 * group-key = lwsGroupKey). StatefulSet `<lws>`, Parallel, pod `<lws>-0`; leader and workers share
 * one template (no leaderTemplate).
 */
export function lwsLeaderStatefulSet(
  lws: string,
  namespace: string,
  size: number,
  gpusPerPod: number,
): V1StatefulSet {
  const selector = { [LWS.name]: lws, [LWS.workerIndex]: '0' };
  return {
    metadata: { name: lws, namespace, labels: { [LWS.name]: lws } },
    spec: {
      replicas: 1,
      serviceName: lws,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: {
            ...selector,
            [LWS.templateRevisionHash]: LWS_REVISION,
            [LWS.groupIndex]: '0',
            [LWS.groupKey]: lwsGroupKey(namespace, `${lws}-0`),
          },
          annotations: { [LWS.size]: String(size) },
        },
        spec: podSpec(gpusPerPod),
      },
    },
  };
}

/**
 * The workers of group 0 as the LWS controller's worker StatefulSet (`<lws>-0`, ordinals from 1)
 * and the LWS pod webhook make them: pods `<lws>-0-<i>` for i in 1..size-1, labelled with the
 * leader's name, group-index, group-key and revision hash plus their own worker-index, annotated
 * with the size and the leader's name. They are created here as pods (owned by the leader pod, so
 * they go with it): a StatefulSet cannot give each pod its own worker-index label, which LWS's
 * webhook adds at admission.
 */
export function lwsWorkerPods(leader: V1Pod, size: number, gpusPerPod: number): V1Pod[] {
  const labels = leader.metadata?.labels ?? {};
  const lws = labels[LWS.name] ?? '';
  const leaderName = leader.metadata?.name ?? '';
  return Array.from({ length: size - 1 }, (_, i) => ({
    metadata: {
      name: `${leaderName}-${i + 1}`,
      namespace: leader.metadata?.namespace ?? '',
      labels: {
        [LWS.name]: lws,
        [LWS.groupIndex]: labels[LWS.groupIndex] ?? '',
        [LWS.groupKey]: labels[LWS.groupKey] ?? '',
        [LWS.templateRevisionHash]: labels[LWS.templateRevisionHash] ?? '',
        [LWS.workerIndex]: String(i + 1),
      },
      annotations: { [LWS.size]: String(size), [LWS.leaderName]: leaderName },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: leaderName, uid: leader.metadata?.uid ?? '' }],
    },
    spec: podSpec(gpusPerPod),
  }));
}
