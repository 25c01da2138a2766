// Gang observations shared by the gang, restart and demo code: where members landed, by the labels
// of the nodes the API server bound them to.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { podEvents } from './observe.js';

export const CLIQUE_LABEL = 'nvidia.com/gpu.clique';
export const GANG_UNSCHEDULABLE = 'GangUnschedulable';

/** Node name → its labels. */
export async function nodeLabels(core: CoreV1Api): Promise<Map<string, Record<string, string>>> {
  return new Map(
    (await core.listNode()).items.map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]),
  );
}

/** The distinct values of `label` over the nodes the pods are bound to (unbound pods count as ""). */
export function domainsOf(
  pods: readonly V1Pod[],
  labels: ReadonlyMap<string, Record<string, string>>,
  label: string,
): string[] {
  return [...new Set(pods.map((p) => labels.get(p.spec?.nodeName ?? '')?.[label] ?? ''))].sort();
}

/** Messages of the GangUnschedulable events recorded on a pod. */
export async function gangEvents(core: CoreV1Api, namespace: string, pod: string): Promise<string[]> {
  return (await podEvents(core, namespace, pod))
    .filter((e) => e.reason === GANG_UNSCHEDULABLE)
    .map((e) => e.message ?? '');
}

/** How often `reason` was recorded on a pod: repeats aggregated into one Event count each time. */
export async function eventCount(
  core: CoreV1Api,
  namespace: string,
  pod: string,
  reason: string,
): Promise<number> {
  return (await podEvents(core, namespace, pod))
    .filter((e) => e.reason === reason)
    .reduce((sum, e) => sum + Math.max(e.count ?? 1, e.series?.count ?? 0, 1), 0);
}

/** Messages of the scheduler's FailedScheduling events on a pod. */
export async function failedSchedulingMessages(
  core: CoreV1Api,
  namespace: string,
  pod: string,
): Promise<string[]> {
  return (await podEvents(core, namespace, pod))
    .filter((e) => e.reason === 'FailedScheduling')
    .map((e) => e.message ?? '');
}
