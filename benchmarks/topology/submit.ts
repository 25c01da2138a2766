// How each configuration receives one LWS-shaped gang: the leader pod first, then its workers (as
// the LeaderWorkerSet controller does with startupPolicy LeaderCreated), with the LWS labels.
//  - phalanx: Phalanx's gang annotations and a preferred clique level;
//  - stock: the same pods with no gang information;
//  - workload-api: a scheduling.k8s.io/v1beta1 PodGroup (gang minCount = size, topology key = the
//    clique label) created first, each pod joining it through spec.schedulingGroup;
//  - kueue: one Kueue pod group (queue name, group name, total count) preferring one clique,
//    admitted and pinned to nodes by Kueue's topology-aware scheduling, bound by the stock scheduler.
// With pools (`--pools`), every member of every configuration carries the same nodeSelector for its
// gang's pool and, in the tainted pool, the toleration (pools.ts).
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1PodSpec } from '@kubernetes/client-node';
import { NodeLabel, Req, Workload } from '../../src/core/names.js';
import { clearKueueNamespace, releaseKueuePods } from '../lib/kueue-bench.js';
import { kueueGangMemberMeta } from '../lib/kueue-tas-objects.js';
import { benchPod } from '../lib/pods.js';
import type { GangSpec } from './gang-sequence.js';
import { POOL_LABEL, poolToleration, type Pool } from './pools.js';

export const CONFIG_NAMES = ['phalanx', 'stock', 'workload-api', 'kueue'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

export interface Submitter {
  readonly config: ConfigName;
  submit(gang: GangSpec): Promise<void>;
  /** Removes what submit created besides pods (PodGroups). */
  cleanup(gang: GangSpec): Promise<void>;
  /** After a refused gang's unbound members were deleted: lets go of those a controller still holds. */
  afterRefusal?(gang: GangSpec): Promise<void>;
  /** Before the namespace's pods are force-deleted: deletes and lets go of those a controller holds. */
  clear?(): Promise<void>;
}

export function submitter(
  kc: KubeConfig,
  namespace: string,
  config: ConfigName,
  schedulerName: string,
): Submitter {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const podGroupApi = { group: 'scheduling.k8s.io', version: 'v1beta1', namespace, plural: 'podgroups' };

  const createMember = (gang: GangSpec, index: number) => {
    const kueue = config === 'kueue' ? kueueGangMemberMeta(gang.name, gang.size) : undefined;
    const annotations: Record<string, string> = {
      [Workload.lwsSize]: String(gang.size),
      ...kueue?.annotations,
    };
    if (config === 'phalanx') {
      annotations[Req.podGroup] = gang.name;
      annotations[Req.groupSize] = String(gang.size);
      annotations[Req.topologyPreferred] = NodeLabel.clique;
    }
    if (index > 0) annotations[Workload.lwsLeaderName] = `${gang.name}-0`;
    const toleration = gang.pool === undefined ? undefined : poolToleration(gang.pool as Pool);
    const extraSpec: Partial<V1PodSpec> = {
      ...(config === 'workload-api' ? { schedulingGroup: { podGroupName: gang.name } } : {}),
      ...(gang.pool === undefined ? {} : { nodeSelector: { [POOL_LABEL]: gang.pool } }),
      ...(toleration === undefined ? {} : { tolerations: [toleration] }),
    };
    return core.createNamespacedPod({
      namespace,
      body: benchPod({
        name: `${gang.name}-${index}`,
        schedulerName,
        demand: { kind: 'whole', gpus: gang.gpusPerMember },
        phalanx: config === 'phalanx',
        labels: {
          gang: gang.name,
          [Workload.lwsName]: gang.name,
          [Workload.lwsGroupIndex]: '0',
          [Workload.lwsWorkerIndex]: String(index),
          ...kueue?.labels,
        },
        annotations,
        extraSpec,
      }),
    });
  };

  return {
    config,
    async submit(gang) {
      if (config === 'workload-api') {
        await custom.createNamespacedCustomObject({
          ...podGroupApi,
          body: {
            apiVersion: 'scheduling.k8s.io/v1beta1',
            kind: 'PodGroup',
            metadata: { name: gang.name },
            spec: {
              schedulingPolicy: { gang: { minCount: gang.size } },
              schedulingConstraints: { topology: [{ key: NodeLabel.clique }] },
            },
          },
        });
      }
      await createMember(gang, 0);
      await Promise.all(Array.from({ length: gang.size - 1 }, (_, i) => createMember(gang, i + 1)));
    },
    async cleanup(gang) {
      if (config !== 'workload-api') return;
      await custom.deleteNamespacedCustomObject({ ...podGroupApi, name: gang.name }).catch(() => undefined);
    },
    ...(config === 'kueue'
      ? {
          afterRefusal: (gang: GangSpec) => releaseKueuePods(kc, namespace, `gang=${gang.name}`),
          clear: () => clearKueueNamespace(kc, namespace),
        }
      : {}),
  };
}
