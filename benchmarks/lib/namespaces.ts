// Namespace set-up and clean-up for benchmarks on a kubelet-less cluster: pods bound to nodes that no
// kubelet runs never finish a graceful deletion, so they are deleted with grace period 0.
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the namespace if needed and waits for its default ServiceAccount (pods need it). */
export async function ensureNamespace(kc: KubeConfig, namespace: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    await core.createNamespace({
      body: { metadata: { name: namespace, labels: { 'phalanx.dev/bench': 'true' } } },
    });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
  }
  for (let i = 0; i < 1200; i++) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`no default ServiceAccount in ${namespace} after 120 s`);
}

/** Force-deletes the namespace's pods (optionally those matching a label selector) and waits until gone. */
export async function forceDeletePods(
  kc: KubeConfig,
  namespace: string,
  labelSelector?: string,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const selector = labelSelector === undefined ? {} : { labelSelector };
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0, ...selector });
  for (let i = 0; i < 600; i++) {
    const left = await core.listNamespacedPod({ namespace, limit: 1, ...selector });
    if (left.items.length === 0) return;
    await sleep(100);
  }
  throw new Error(`pods in ${namespace} not gone after 60 s`);
}
