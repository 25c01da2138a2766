// What Kueue's topology-aware scheduling (TAS, beta and on by default in v0.17) needs before it places
// a single gang, as pure builders: the "admin configuration" a cluster operator writes by hand — a
// Topology naming the fabric's node-label levels, a ResourceFlavor bound to it, a ClusterQueue with
// quota for the whole fabric and a LocalQueue in the benchmark's namespace — and the labels and
// annotations that turn a gang's pods into one Kueue pod group with a preferred clique level.
// API versions and field names are those of the CRDs shipped with Kueue v0.17.0
// (config/components/crd/bases/).
import { stringify } from 'yaml';
import { DEFAULT_TOPOLOGY_LEVELS, NodeLabel, Resource } from '../../src/core/names.js';

export const KUEUE_BENCH_API_VERSION = 'kueue.x-k8s.io/v1beta2';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** Set by GPU Feature Discovery on every GPU node (and by the test fabric): selects the TAS flavor's nodes. */
export const GPU_PRESENT_LABEL = 'nvidia.com/gpu.present';

export const KueuePodGroup = {
  queueName: 'kueue.x-k8s.io/queue-name',
  groupName: 'kueue.x-k8s.io/pod-group-name',
  totalCount: 'kueue.x-k8s.io/pod-group-total-count',
  preferredTopology: 'kueue.x-k8s.io/podset-preferred-topology',
} as const;

export interface KueueTasNames {
  readonly topology: string;
  readonly flavor: string;
  readonly clusterQueue: string;
  readonly localQueue: string;
}

export const BENCH_KUEUE_NAMES: KueueTasNames = {
  topology: 'bench-fabric',
  flavor: 'bench-gpu-tas',
  clusterQueue: 'bench-tas',
  localQueue: 'bench-tas',
};

export interface KueueTasSetup {
  /** Namespace of the LocalQueue (the one the gangs are created in). */
  readonly namespace: string;
  /** GPUs of the whole fabric: the ClusterQueue's nvidia.com/gpu quota. */
  readonly capacityGpus: number;
  /** Topology levels closest first, as Phalanx reads them (default: clique, leaf, zone). */
  readonly levels?: readonly string[];
  readonly names?: KueueTasNames;
  /**
   * Node pools (bench:topology --pools): one TAS ResourceFlavor per pool, selecting the pool's nodes
   * by `nodeLabels` and naming its taint in `nodeTaints` (Kueue assigns a flavor only to a pod set
   * whose selector matches its labels and that tolerates its taints), each with its pool's GPUs as
   * quota. Without pools: one flavor for every GPU node.
   */
  readonly pools?: readonly KueuePool[];
}

export interface KueuePool {
  /** Flavor name suffix. */
  readonly name: string;
  readonly capacityGpus: number;
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly taint?: { readonly key: string; readonly value: string; readonly effect: string };
}

type Obj = Record<string, unknown>;

/**
 * Kueue's Topology levels, broadest first as Kueue wants them, ending at the node: the fabric's
 * zone → rack (network leaf) → NVLink clique → hostname. The hostname level makes Kueue assign
 * each pod a node, not only a domain.
 */
export function kueueTopologyLevels(levels: readonly string[] = DEFAULT_TOPOLOGY_LEVELS): string[] {
  return [...[...levels].reverse().filter((l) => l !== HOSTNAME_LABEL), HOSTNAME_LABEL];
}

/**
 * The four objects (five with two pools), in apply order. Quota: the fabric's GPUs; CPU and memory at one core and 1 GiB
 * per GPU, well above what the bench's pods ask (0.1 core, 128 MiB, at least one GPU each), so only
 * the GPUs and the topology can hold a gang back. Kueue runs with Phalanx's gpu-milli
 * transformation, so the queue covers phalanx.dev/gpu-milli as well (GPUs × 1000); its topology-aware
 * admission checks that against the capacity Phalanx advertises on each node.
 */
export function kueueTasObjects(setup: KueueTasSetup): Obj[] {
  const names = setup.names ?? BENCH_KUEUE_NAMES;
  const resources = (gpus: number): [string, string][] => [
    ['cpu', String(gpus)],
    ['memory', `${gpus}Gi`],
    [Resource.nvidiaGpu, String(gpus)],
    // Kueue's gpu-milli transformation (kueue-manifests.ts) counts each whole GPU as 1000 milli too.
    [Resource.gpuMilli, String(gpus * 1000)],
  ];
  const flavors =
    setup.pools === undefined
      ? [{ name: names.flavor, gpus: setup.capacityGpus, nodeLabels: {}, taints: [] as object[] }]
      : setup.pools.map((p) => ({
          name: `${names.flavor}-${p.name}`,
          gpus: p.capacityGpus,
          nodeLabels: p.nodeLabels,
          taints: p.taint === undefined ? [] : [p.taint],
        }));
  return [
    {
      apiVersion: KUEUE_BENCH_API_VERSION,
      kind: 'Topology',
      metadata: { name: names.topology },
      spec: { levels: kueueTopologyLevels(setup.levels).map((nodeLabel) => ({ nodeLabel })) },
    },
    ...flavors.map((f) => ({
      apiVersion: KUEUE_BENCH_API_VERSION,
      kind: 'ResourceFlavor',
      metadata: { name: f.name },
      spec: {
        nodeLabels: { [GPU_PRESENT_LABEL]: 'true', ...f.nodeLabels },
        ...(f.taints.length === 0 ? {} : { nodeTaints: f.taints }),
        topologyName: names.topology,
      },
    })),
    {
      apiVersion: KUEUE_BENCH_API_VERSION,
      kind: 'ClusterQueue',
      metadata: { name: names.clusterQueue },
      spec: {
        namespaceSelector: {},
        resourceGroups: [
          {
            coveredResources: resources(0).map(([name]) => name),
            flavors: flavors.map((f) => ({
              name: f.name,
              resources: resources(f.gpus).map(([name, nominalQuota]) => ({ name, nominalQuota })),
            })),
          },
        ],
      },
    },
    {
      apiVersion: KUEUE_BENCH_API_VERSION,
      kind: 'LocalQueue',
      metadata: { name: names.localQueue, namespace: setup.namespace },
      spec: { clusterQueue: names.clusterQueue },
    },
  ];
}

/** The objects as the YAML an administrator would apply, and its size. */
export function adminYaml(objects: readonly Obj[]): { yaml: string; objects: number; lines: number } {
  const yaml = objects.map((o) => stringify(o)).join('---\n');
  return { yaml, objects: objects.length, lines: yaml.trimEnd().split('\n').length };
}

export interface KueueMemberMeta {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Labels and annotations that make a pod one of `size` members of Kueue pod group `group`. */
export function kueueGangMemberMeta(
  group: string,
  size: number,
  queue: string = BENCH_KUEUE_NAMES.localQueue,
  preferredLevel: string = NodeLabel.clique,
): KueueMemberMeta {
  return {
    labels: { [KueuePodGroup.queueName]: queue, [KueuePodGroup.groupName]: group },
    annotations: {
      [KueuePodGroup.totalCount]: String(size),
      [KueuePodGroup.preferredTopology]: preferredLevel,
    },
  };
}
