// Kueue next to a benchmark's cluster: started (local mode: built, installed and run out of cluster by
// testbed/kueue, protocol.md §5.5) only when a benchmark reaches its Kueue configuration, so the
// configurations measured before it run with no Kueue webhook in the pod-creation path; then the TAS
// admin objects of kueue-tas-objects.ts are applied and the ClusterQueue awaited Active. Kueue counts
// a whole GPU as 1000 phalanx.dev/gpu-milli too, as next to Phalanx (kueue-manifests.ts); its TAS
// admission finds that capacity on the nodes because Phalanx advertises it. Against an
// external cluster (`--kubeconfig`) Kueue must be installed already; only the objects are applied.
//
// Kueue holds every pod it manages with a finalizer until the pod is terminal, and on this
// kubelet-less cluster nothing makes a pod terminal: `releaseKueuePods` lets such pods go.
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { stateDirOf } from '../../testbed/cluster.js';
import { installKueue, stopKueue } from '../../testbed/kueue/kueue-install.js';
import { clusterQueueActive, KUEUE_API_VERSION, KUEUE_GROUP } from '../../testbed/kueue/kueue-objects.js';
import { binaryPaths, selectedK8sVersion } from '../../testbed/versions.js';
import { ensureNamespace } from './namespaces.js';
import { adminYaml, BENCH_KUEUE_NAMES, kueueTasObjects, type KueueTasSetup } from './kueue-tas-objects.js';

const FIELD_MANAGER = 'phalanx-bench';
const ACTIVE_TIMEOUT_MS = 60_000;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface KueueForBench {
  /** The admin configuration applied: its YAML, object count and line count. */
  readonly admin: { readonly yaml: string; readonly objects: number; readonly lines: number };
  /** Seconds Kueue's installation steps took (local mode). */
  readonly timings: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startKueueForBench(opts: {
  readonly kc: KubeConfig;
  /** The local cluster's name (bench-env's `name`); undefined against an external cluster. */
  readonly clusterName: string | undefined;
  readonly setup: KueueTasSetup;
  readonly log: (line: string) => void;
}): Promise<KueueForBench> {
  let timings: Readonly<Record<string, number>> = {};
  const stateDir = opts.clusterName === undefined ? undefined : stateDirOf(opts.clusterName);
  if (stateDir !== undefined) {
    const installation = await installKueue({
      kubeconfig: join(stateDir, 'kubeconfig.yaml'),
      stateDir,
      kubectl: binaryPaths(selectedK8sVersion()).kubectl,
      log: (line) => opts.log(`kueue: ${line}`),
    });
    timings = installation.timings;
  }
  const stop = async (): Promise<void> => {
    if (stateDir !== undefined) await stopKueue(stateDir);
  };
  try {
    await ensureNamespace(opts.kc, opts.setup.namespace);
    const objects = kueueTasObjects(opts.setup);
    const api = KubernetesObjectApi.makeApiClient(opts.kc);
    for (const o of objects) {
      await api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    }
    const cq = opts.setup.names?.clusterQueue ?? BENCH_KUEUE_NAMES.clusterQueue;
    const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
    while (!(await clusterQueueActive(opts.kc, cq).catch(() => false))) {
      if (Date.now() > deadline)
        throw new Error(`ClusterQueue ${cq} not Active after ${ACTIVE_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const admin = adminYaml(objects);
    opts.log(`Kueue TAS admin configuration: ${admin.objects} objects, ${admin.lines} YAML lines`);
    return { admin, timings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Removes the finalizers of the namespace's terminating pods (those matching `labelSelector`, if
 * given): deleted members of a refused gang then go, as they would once a kubelet marked them Failed.
 */
export async function releaseKueuePods(
  kc: KubeConfig,
  namespace: string,
  labelSelector?: string,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({
    namespace,
    ...(labelSelector === undefined ? {} : { labelSelector }),
  });
  for (const pod of pods.items) {
    const name = pod.metadata?.name;
    if (name === undefined || pod.metadata?.deletionTimestamp === undefined) continue;
    if ((pod.metadata.finalizers ?? []).length === 0) continue;
    await core
      .patchNamespacedPod({ name, namespace, body: { metadata: { finalizers: null } } }, merge)
      .catch(() => undefined); // Gone already.
  }
}

/** Empties the namespace: every pod deleted at once and released, then every Workload deleted. */
export async function clearKueueNamespace(kc: KubeConfig, namespace: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
  await releaseKueuePods(kc, namespace);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await custom.deleteCollectionNamespacedCustomObject({
    group: KUEUE_GROUP,
    version: KUEUE_API_VERSION,
    namespace,
    plural: 'workloads',
  });
}
