// A stand-in for cluster-autoscaler / Karpenter in the local cluster: it watches Phalanx's capacity
// placeholders (by polling, bounded) and, when one has stayed PodScheduled=False/Unschedulable for
// `unschedulableForMs`, adds KWOK nodes of the first pool whose template would take it — the pool's
// labels satisfy its nodeSelector and required node affinity, its taints are tolerated, it has the
// GPUs — as those autoscalers simulate a node group's template. The pending placeholders of one unit
// are packed onto new nodes first fit (as cluster-autoscaler's binpacking estimator does), and every
// node added for one unit shares one new NVLink clique, leaf and the pool's zone, as a node group
// provisioned into one placement group would, so a gang's pod affinity on any level can be met.
// After adding nodes for a unit it waits `cooldownMs` for the scheduler before adding more for it;
// it never adds more than `maxNodes` in all.
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
  type V1Node,
  type V1Pod,
  type V1Taint,
} from '@kubernetes/client-node';
import { PlaceholderLabel } from '../src/core/autoscaling/placeholder-names.js';
import { nodeSelectorTermsMatch } from '../src/core/eligibility/node-selection.js';
import { firstUntoleratedTaint } from '../src/core/eligibility/taints.js';
import type { NodeShape, PodShape } from '../src/core/kube-shapes.js';
import { NodeLabel, Resource } from '../src/core/names.js';
import { kwokNodeManifest } from './fabric.js';

/** Label on every node the stand-in adds, with its pool's name. */
export const STAND_IN_POOL_LABEL = 'autoscaler.phalanx.dev/pool';

export interface NodePool {
  readonly name: string;
  /** Labels of the pool's template (node group / NodePool requirements). */
  readonly labels: Readonly<Record<string, string>>;
  readonly taints?: readonly V1Taint[];
  /** 0 for a CPU-only pool. */
  readonly gpus: number;
  readonly gpuProduct?: string;
  readonly gpuMemoryMiB?: number;
  readonly zone: string;
  readonly cpu: string;
  readonly memory: string;
}

export interface AutoscalerStandInOptions {
  readonly kc: KubeConfig;
  readonly pools: readonly NodePool[];
  /** Namespace of the placeholders (Phalanx's autoscaling.namespace). */
  readonly namespace: string;
  readonly unschedulableForMs: number;
  readonly cooldownMs: number;
  readonly maxNodes: number;
  readonly pollMs?: number;
  /**
   * Also act on ProvisioningRequests in the namespace (atomic: nodes for every pod of every pod set
   * in one new domain, then `Provisioned=True`), as cluster-autoscaler's best-effort-atomic class does.
   */
  readonly provisioningRequests?: boolean;
  readonly log: (line: string) => void;
}

export interface AddedNode {
  readonly name: string;
  readonly pool: string;
  /** The placeholder unit it was added for. */
  readonly unit: string;
  readonly clique: string;
}

export interface AutoscalerStandIn {
  readonly added: readonly AddedNode[];
  stop(): Promise<void>;
}

function unschedulableSince(pod: V1Pod): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (c?.status !== 'False' || c.reason !== 'Unschedulable') return undefined;
  const t = c.lastTransitionTime;
  return t === undefined ? undefined : new Date(t).getTime();
}

function gpusOf(pod: V1Pod): number {
  return (pod.spec?.containers ?? []).reduce(
    (sum, c) => sum + Number(c.resources?.requests?.[Resource.nvidiaGpu] ?? 0),
    0,
  );
}

/** Would a node of this pool's template take the pod? */
export function poolTakes(pool: NodePool, pod: PodShape, gpus: number): boolean {
  if (gpus > pool.gpus) return false;
  const template: NodeShape = {
    metadata: { name: `${pool.name}-template`, labels: pool.labels },
    spec: { taints: [...(pool.taints ?? [])] },
  };
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (pool.labels[k] !== v) return false;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms !== undefined && terms.length > 0 && !nodeSelectorTermsMatch(terms, template)) return false;
  return firstUntoleratedTaint(pod, template) === undefined;
}

/** Nodes needed for these GPU requests on nodes of `capacity` GPUs, first fit decreasing. */
function nodesNeeded(requests: readonly number[], capacity: number): number {
  const free: number[] = [];
  for (const r of [...requests].sort((a, b) => b - a)) {
    const i = free.findIndex((f) => f >= r);
    if (i >= 0) free[i] = (free[i] as number) - r;
    else free.push(capacity - r);
  }
  return free.length;
}

/** The topology labels of the nodes the stand-in adds to one domain of a pool. */
function domainLabels(pool: NodePool, domain: number): Record<string, string> {
  return {
    [NodeLabel.clique]: `standin-${pool.name}.${domain}`,
    [NodeLabel.leaf]: `standin-${pool.name}-leaf-${domain}`,
    [NodeLabel.zone]: pool.zone,
  };
}

/** A KWOK node of the pool in the given clique and leaf (also for tests that shape the fabric). */
export function nodeManifest(name: string, pool: NodePool, clique: string, leaf: string): V1Node {
  return kwokNodeManifest(name, {
    labels: { ...pool.labels, [STAND_IN_POOL_LABEL]: pool.name },
    ...(pool.taints !== undefined ? { taints: pool.taints } : {}),
    cpu: pool.cpu,
    memory: pool.memory,
    pods: '110',
    zone: pool.zone,
    ...(pool.gpus > 0
      ? {
          gpus: {
            count: pool.gpus,
            product: pool.gpuProduct ?? 'NVIDIA-H100-80GB-HBM3',
            memoryMiB: pool.gpuMemoryMiB ?? 81559,
            leaf,
            clique,
          },
        }
      : {}),
  });
}

const PR = { group: 'autoscaling.x-k8s.io', version: 'v1', plural: 'provisioningrequests' } as const;

/**
 * The ProvisioningRequest CRD for the local cluster: the v1 fields Phalanx and the stand-in use
 * (class, pod sets of PodTemplate references and counts; status conditions), written for the test
 * bed. A real cluster gets the CRD with cluster-autoscaler.
 */
export const PROVISIONING_REQUEST_CRD: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${PR.plural}.${PR.group}` },
  spec: {
    group: PR.group,
    scope: 'Namespaced',
    names: {
      kind: 'ProvisioningRequest',
      listKind: 'ProvisioningRequestList',
      plural: PR.plural,
      singular: 'provisioningrequest',
    },
    versions: [
      {
        name: PR.version,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['provisioningClassName', 'podSets'],
                properties: {
                  provisioningClassName: { type: 'string' },
                  parameters: { type: 'object', additionalProperties: { type: 'string' } },
                  podSets: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['podTemplateRef', 'count'],
                      properties: {
                        podTemplateRef: { type: 'object', properties: { name: { type: 'string' } } },
                        count: { type: 'integer', minimum: 1 },
                      },
                    },
                  },
                },
              },
              status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
            },
          },
        },
      },
    ],
  },
};

/** Installs the CRD (idempotent) and waits until the API serves it. */
export async function installProvisioningRequestCrd(kc: KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  try {
    await ext.createCustomResourceDefinition({ body: PROVISIONING_REQUEST_CRD });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const crd = await ext.readCustomResourceDefinition({
      name: PROVISIONING_REQUEST_CRD.metadata?.name ?? '',
    });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error('ProvisioningRequest CRD not Established after 60 s');
    await new Promise((r) => setTimeout(r, 300));
  }
}

interface RequestObject {
  metadata?: { name?: string };
  spec?: { podSets?: { podTemplateRef?: { name?: string }; count?: number }[] };
  status?: { conditions?: { type?: string; status?: string }[] };
}

export function startAutoscalerStandIn(opts: AutoscalerStandInOptions): AutoscalerStandIn {
  const core = opts.kc.makeApiClient(CoreV1Api);
  const custom = opts.kc.makeApiClient(CustomObjectsApi);
  const added: AddedNode[] = [];
  const lastAddFor = new Map<string, number>();
  const domainOf = new Map<string, number>();
  let stopped = false;
  let seq = 0;

  const addNodes = async (pool: NodePool, unit: string, count: number): Promise<void> => {
    let domain = domainOf.get(unit);
    if (domain === undefined) domainOf.set(unit, (domain = domainOf.size + 1));
    const labels = domainLabels(pool, domain);
    const clique = labels[NodeLabel.clique] ?? '';
    const leaf = labels[NodeLabel.leaf] ?? '';
    for (let i = 0; i < count; i++) {
      const name = `standin-${pool.name}-${++seq}`;
      try {
        await core.createNode({ body: nodeManifest(name, pool, clique, leaf) });
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 409)) throw err;
      }
      added.push({ name, pool: pool.name, unit, clique });
      opts.log(`autoscaler stand-in: added node ${name} (pool ${pool.name}, clique ${clique}) for ${unit}`);
    }
  };

  // All or nothing: nodes for every pod of the request in one pool and domain, or none.
  const requestPass = async (): Promise<void> => {
    let list: { items?: RequestObject[] };
    try {
      list = (await custom.listNamespacedCustomObject({ ...PR, namespace: opts.namespace })) as {
        items?: RequestObject[];
      };
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return; // no CRD (yet)
      throw err;
    }
    for (const request of list.items ?? []) {
      const name = request.metadata?.name ?? '';
      const conditions = request.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Provisioned' || c.type === 'Failed')) continue;
      const pods: { pod: PodShape; gpus: number }[] = [];
      for (const set of request.spec?.podSets ?? []) {
        const template = await core.readNamespacedPodTemplate({
          name: set.podTemplateRef?.name ?? '',
          namespace: opts.namespace,
        });
        const pod: V1Pod = {
          ...(template.template?.metadata ? { metadata: template.template.metadata } : {}),
          ...(template.template?.spec ? { spec: template.template.spec } : {}),
        };
        for (let i = 0; i < (set.count ?? 0); i++) pods.push({ pod: pod, gpus: gpusOf(pod) });
      }
      const pool = opts.pools.find((p) => pods.every(({ pod, gpus }) => poolTakes(p, pod, gpus)));
      const count = pool
        ? nodesNeeded(
            pods.map((p) => p.gpus),
            Math.max(pool.gpus, 1),
          )
        : 0;
      const provisioned = pool !== undefined && added.length + count <= opts.maxNodes;
      if (provisioned) await addNodes(pool, `request ${name}`, count);
      const now = new Date().toISOString();
      const condition = (type: string, reason: string) => ({
        type,
        status: 'True',
        reason,
        message: `autoscaler stand-in: ${reason}`,
        lastTransitionTime: now,
      });
      await custom.patchNamespacedCustomObjectStatus(
        {
          ...PR,
          namespace: opts.namespace,
          name,
          body: {
            status: {
              conditions: provisioned
                ? [condition('Accepted', 'Accepted'), condition('Provisioned', 'Provisioned')]
                : [condition('Failed', 'NoPoolOrOverBound')],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
  };

  const pass = async (): Promise<void> => {
    const pods = (
      await core.listNamespacedPod({ namespace: opts.namespace, labelSelector: PlaceholderLabel.unit })
    ).items;
    const now = Date.now();
    const waiting = new Map<string, V1Pod[]>();
    for (const pod of pods) {
      if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) continue;
      const since = unschedulableSince(pod);
      if (since === undefined || now - since < opts.unschedulableForMs) continue;
      const unit = pod.metadata?.labels?.[PlaceholderLabel.unit] ?? '';
      const unitPods = waiting.get(unit);
      if (unitPods !== undefined) unitPods.push(pod);
      else waiting.set(unit, [pod]);
    }
    // Where a unit's scheduled placeholders are: its pending ones must join them (pod affinity).
    const anchors = new Map<string, { key: string; value: string | undefined }>();
    for (const pod of pods) {
      const term = pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0];
      const node = pod.spec?.nodeName;
      if (term === undefined || !node || pod.metadata?.deletionTimestamp) continue;
      const labels = (await core.readNode({ name: node })).metadata?.labels ?? {};
      anchors.set(pod.metadata?.labels?.[PlaceholderLabel.unit] ?? '', {
        key: term.topologyKey,
        value: labels[term.topologyKey],
      });
    }
    for (const [unit, unitPods] of waiting) {
      if (now - (lastAddFor.get(unit) ?? -Infinity) < opts.cooldownMs) continue;
      const requests = unitPods.map(gpusOf);
      const pool = opts.pools.find((p) =>
        unitPods.every((pod, i) => poolTakes(p, pod as PodShape, requests[i] ?? 0)),
      );
      if (pool === undefined) {
        opts.log(`autoscaler stand-in: no pool takes placeholder unit ${unit}`);
        lastAddFor.set(unit, now);
        continue;
      }
      // Like an autoscaler's simulation: a node it adds can only help if it joins the anchor's domain.
      const anchor = anchors.get(unit);
      const domain = domainOf.get(unit);
      const own = domain === undefined ? undefined : domainLabels(pool, domain)[anchor?.key ?? ''];
      if (anchor !== undefined && (own === undefined || own !== anchor.value)) {
        opts.log(
          `autoscaler stand-in: unit ${unit} must join ${anchor.key}=${anchor.value ?? '?'}: no node can`,
        );
        lastAddFor.set(unit, now);
        continue;
      }
      const count = Math.min(nodesNeeded(requests, Math.max(pool.gpus, 1)), opts.maxNodes - added.length);
      if (count <= 0) {
        opts.log(`autoscaler stand-in: at its bound of ${opts.maxNodes} nodes; unit ${unit} waits`);
        lastAddFor.set(unit, now);
        continue;
      }
      await addNodes(pool, unit, count);
      lastAddFor.set(unit, now);
    }
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        await pass();
        if (opts.provisioningRequests === true) await requestPass();
      } catch (err) {
        opts.log(`autoscaler stand-in: pass failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 1_000));
    }
  })();

  return {
    added,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
