// Reading and writing Kueue's objects in the local cluster for scenarios and demos: apply a YAML
// file server-side, list Workloads, read a ClusterQueue's usage.
import { readFile } from 'node:fs/promises';
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export const KUEUE_GROUP = 'kueue.x-k8s.io';
export const KUEUE_API_VERSION = 'v1beta2';
/** The label that puts a Job, Deployment, StatefulSet or pod into a LocalQueue. */
export const QUEUE_NAME_LABEL = 'kueue.x-k8s.io/queue-name';
/** Team queues for two teams in one cohort (see the file's comments). */
export const TEAM_QUEUES_FILE = new URL('team-queues.yaml', import.meta.url).pathname;

export async function applyYamlFile(kc: KubeConfig, file: string): Promise<string[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const docs = parseAllDocuments(await readFile(file, 'utf8'))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((d): d is KubernetesObject => d !== null && d.kind !== undefined);
  const applied: string[] = [];
  for (const doc of docs) {
    await api.patch(doc, undefined, undefined, 'phalanx-e2e', true, PatchStrategy.ServerSideApply);
    applied.push(`${doc.kind ?? ''}/${doc.metadata?.name ?? ''}`);
  }
  return applied;
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

export interface WorkloadView {
  readonly name: string;
  readonly owner: string;
  readonly conditions: readonly Condition[];
  readonly podSets: readonly { name: string; count: number }[];
}

export function hasCondition(w: WorkloadView, type: string, reason?: string): boolean {
  return w.conditions.some(
    (c) => c.type === type && c.status === 'True' && (reason === undefined || c.reason === reason),
  );
}

interface RawWorkload {
  metadata?: { name?: string; ownerReferences?: { kind?: string; name?: string }[] };
  spec?: { podSets?: { name?: string; count?: number }[] };
  status?: { conditions?: Condition[] };
}

export async function listWorkloads(kc: KubeConfig, namespace: string): Promise<WorkloadView[]> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const list = (await custom.listNamespacedCustomObject({
    group: KUEUE_GROUP,
    version: KUEUE_API_VERSION,
    namespace,
    plural: 'workloads',
  })) as { items?: RawWorkload[] };
  return (list.items ?? []).map((w) => {
    const owner = w.metadata?.ownerReferences?.[0];
    return {
      name: w.metadata?.name ?? '',
      owner: owner ? `${owner.kind ?? ''}/${owner.name ?? ''}` : '',
      conditions: w.status?.conditions ?? [],
      podSets: (w.spec?.podSets ?? []).map((p) => ({ name: p.name ?? '', count: p.count ?? 0 })),
    };
  });
}

/** resource → {total, borrowed} as the ClusterQueue's status reports them (quantities as strings). */
export type QueueUsage = Record<string, { total: string; borrowed: string }>;

export async function clusterQueueUsage(kc: KubeConfig, name: string): Promise<QueueUsage> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const cq = (await custom.getClusterCustomObject({
    group: KUEUE_GROUP,
    version: KUEUE_API_VERSION,
    plural: 'clusterqueues',
    name,
  })) as {
    status?: { flavorsUsage?: { resources?: { name?: string; total?: string; borrowed?: string }[] }[] };
  };
  const usage: QueueUsage = {};
  for (const flavor of cq.status?.flavorsUsage ?? []) {
    for (const r of flavor.resources ?? []) {
      usage[r.name ?? ''] = { total: r.total ?? '0', borrowed: r.borrowed ?? '0' };
    }
  }
  return usage;
}

export async function clusterQueueActive(kc: KubeConfig, name: string): Promise<boolean> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const cq = (await custom.getClusterCustomObject({
    group: KUEUE_GROUP,
    version: KUEUE_API_VERSION,
    plural: 'clusterqueues',
    name,
  })) as { status?: { conditions?: Condition[] } };
  return (cq.status?.conditions ?? []).some((c) => c.type === 'Active' && c.status === 'True');
}
