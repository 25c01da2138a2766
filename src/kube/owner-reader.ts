// OwnerReader over the API server: a gang's size from its batch/v1 Job (parallelism, completions), its
// scheduler-plugins PodGroup (spec.minMember) or its upstream Workload API PodGroup (gang minCount and
// topology keys). Called once per admitted pod, so answers are
// memoised for a few seconds and concurrent lookups of one owner share one request (lru-cache
// fetch). Absent owners are not memoised: a PodGroup created just after its pods must be seen.
import type { BatchV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import type { JobFacts, OwnerReader, WorkloadPodGroupFacts } from '../app/admission/ports.js';
import { httpStatusOf, withTimeout } from './api-errors.js';

/** scheduling.x-k8s.io/v1alpha1 PodGroup, as scheduler-plugins' coscheduling defines it. */
export const POD_GROUP_RESOURCE = {
  group: 'scheduling.x-k8s.io',
  version: 'v1alpha1',
  plural: 'podgroups',
} as const;

/** scheduling.k8s.io/v1beta1 PodGroup, the upstream Workload API (Kubernetes ≥ 1.37, GenericWorkload). */
export const WORKLOAD_POD_GROUP_RESOURCE = {
  group: 'scheduling.k8s.io',
  version: 'v1beta1',
  plural: 'podgroups',
} as const;

export interface OwnerReaderApis {
  readonly batch: Pick<BatchV1Api, 'readNamespacedJob'>;
  readonly customObjects: Pick<CustomObjectsApi, 'getNamespacedCustomObject'>;
}

export interface OwnerReaderOptions {
  /** Owners remembered at once. */
  readonly max?: number;
  /** How long an answer is trusted; owners rarely change size while their pods are being created. */
  readonly ttlMs?: number;
  /** Per request; admission must answer well inside the webhook's timeoutSeconds. */
  readonly requestTimeoutMs?: number;
}

type OwnerKind = 'job' | 'podgroup' | 'workload-podgroup';

type Owner =
  | { readonly kind: 'job'; readonly facts: JobFacts }
  | { readonly kind: 'podgroup'; readonly minMember: number }
  | { readonly kind: 'workload-podgroup'; readonly facts: WorkloadPodGroupFacts };

export class ApiOwnerReader implements OwnerReader {
  readonly #apis: OwnerReaderApis;
  readonly #timeoutMs: number;
  readonly #cache: LRUCache<string, Owner, undefined>;

  constructor(apis: OwnerReaderApis, opts: OwnerReaderOptions = {}) {
    this.#apis = apis;
    this.#timeoutMs = opts.requestTimeoutMs ?? 3_000;
    this.#cache = new LRUCache<string, Owner, undefined>({
      max: opts.max ?? 1_000,
      ttl: opts.ttlMs ?? 5_000,
      fetchMethod: (key) => this.#load(key),
    });
  }

  async readJob(namespace: string, name: string): Promise<JobFacts | undefined> {
    const owner = await this.#cache.fetch(cacheKey('job', namespace, name));
    return owner?.kind === 'job' ? owner.facts : undefined;
  }

  async readPodGroupMinMember(namespace: string, name: string): Promise<number | undefined> {
    const owner = await this.#cache.fetch(cacheKey('podgroup', namespace, name));
    return owner?.kind === 'podgroup' ? owner.minMember : undefined;
  }

  async readWorkloadPodGroup(namespace: string, name: string): Promise<WorkloadPodGroupFacts | undefined> {
    const owner = await this.#cache.fetch(cacheKey('workload-podgroup', namespace, name));
    return owner?.kind === 'workload-podgroup' ? owner.facts : undefined;
  }

  async #load(key: string): Promise<Owner | undefined> {
    const [kind = '', namespace = '', name = ''] = key.split('/');
    try {
      if (kind === 'job') return await this.#job(namespace, name);
      if (kind === 'podgroup') return await this.#podGroup(namespace, name);
      return await this.#workloadPodGroup(namespace, name);
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async #job(namespace: string, name: string): Promise<Owner> {
    const job = await withTimeout(
      this.#apis.batch.readNamespacedJob({ name, namespace }),
      this.#timeoutMs,
      `read job ${namespace}/${name}`,
    );
    const spec = job.spec;
    const facts: JobFacts = {
      ...(spec?.parallelism !== undefined ? { parallelism: spec.parallelism } : {}),
      ...(spec?.completions !== undefined ? { completions: spec.completions } : {}),
    };
    return { kind: 'job', facts };
  }

  async #podGroup(namespace: string, name: string): Promise<Owner> {
    const object: unknown = await withTimeout(
      this.#apis.customObjects.getNamespacedCustomObject({ ...POD_GROUP_RESOURCE, namespace, name }),
      this.#timeoutMs,
      `read podgroup ${namespace}/${name}`,
    );
    const minMember = (object as { spec?: { minMember?: unknown } } | null)?.spec?.minMember;
    if (typeof minMember !== 'number' || !Number.isSafeInteger(minMember)) {
      throw new Error(
        `podgroup ${namespace}/${name}: spec.minMember is ${JSON.stringify(minMember)}, not a whole number`,
      );
    }
    return { kind: 'podgroup', minMember };
  }

  async #workloadPodGroup(namespace: string, name: string): Promise<Owner> {
    const object: unknown = await withTimeout(
      this.#apis.customObjects.getNamespacedCustomObject({ ...WORKLOAD_POD_GROUP_RESOURCE, namespace, name }),
      this.#timeoutMs,
      `read podgroup.scheduling.k8s.io ${namespace}/${name}`,
    );
    return { kind: 'workload-podgroup', facts: workloadPodGroupFacts(object, `${namespace}/${name}`) };
  }
}

interface WorkloadPodGroupJson {
  readonly spec?: {
    readonly schedulingPolicy?: { readonly gang?: { readonly minCount?: unknown } };
    readonly schedulingConstraints?: { readonly topology?: unknown };
  };
}

/** The facts of a scheduling.k8s.io PodGroup; throws (the pod is then refused) on a malformed one. */
export function workloadPodGroupFacts(object: unknown, id: string): WorkloadPodGroupFacts {
  const spec = (object as WorkloadPodGroupJson | null)?.spec;
  const gang = spec?.schedulingPolicy?.gang;
  const minCount = gang?.minCount;
  if (gang !== undefined && (typeof minCount !== 'number' || !Number.isSafeInteger(minCount))) {
    throw new Error(
      `podgroup.scheduling.k8s.io ${id}: spec.schedulingPolicy.gang.minCount is ${JSON.stringify(minCount)}, not a whole number`,
    );
  }
  const topology = spec?.schedulingConstraints?.topology ?? [];
  const keys = Array.isArray(topology) ? topology.map((t) => (t as { key?: unknown } | null)?.key) : [null];
  if (!keys.every((k): k is string => typeof k === 'string')) {
    throw new Error(
      `podgroup.scheduling.k8s.io ${id}: spec.schedulingConstraints.topology is ${JSON.stringify(topology)}, not a list of {key}`,
    );
  }
  return { ...(typeof minCount === 'number' ? { minCount } : {}), topologyKeys: keys };
}

/** Namespaces and names cannot contain '/', so the key splits back unambiguously. */
function cacheKey(kind: OwnerKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
