// The DisruptionTarget condition Phalanx writes on the pods it takes away (gang-mates of a preempted
// member, victims of its own preemption), as kube-scheduler does on its victims: a Job's
// podFailurePolicy can then tell a disruption from a failure. A strategic merge on the status, so
// other conditions stay, guarded by the UID so a replacement under the same name is left alone.
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import type { PodRef } from '../app/ports.js';

export type StatusPatchApi = Pick<CoreV1Api, 'patchNamespacedPodStatus'>;

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

/** The condition's message is bounded like an Event's (the API server stores what it is given). */
const MAX_MESSAGE = 1024;

/** Marks the pod; API errors are thrown for the caller to judge (404 and 409: the pod is gone). */
export async function markDisruptionTarget(
  api: StatusPatchApi,
  pod: PodRef,
  reason: string,
  message: string,
  nowMs: number,
): Promise<void> {
  const condition = {
    type: 'DisruptionTarget',
    status: 'True',
    reason,
    message: `phalanx: ${message}`.slice(0, MAX_MESSAGE),
    lastTransitionTime: new Date(nowMs).toISOString(),
  };
  await api.patchNamespacedPodStatus(
    {
      name: pod.name,
      namespace: pod.namespace,
      body: { metadata: { uid: pod.uid }, status: { conditions: [condition] } },
    },
    strategicMerge,
  );
}
