// ProvisioningRequests (autoscaling.x-k8s.io/v1) against the API server: discovery (is the API
// served? asked again every minute while it is not), Phalanx's requests listed by label, a request's
// PodTemplates (the placeholder pod shape of each pod set) created before the request so the
// autoscaler never reads a request whose templates are missing, deletion of both, and the merge patch
// that marks a waiting pod as consuming a request.
import {
  ApisApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type CoreV1Api,
  type CustomObjectsApi,
  type V1PodTemplate,
} from '@kubernetes/client-node';
import type { ProvisioningRequestPort } from '../app/autoscaling/ports.js';
import { PlaceholderAnnotation, PlaceholderLabel } from '../core/autoscaling/placeholder-names.js';
import {
  ConsumeAnnotation,
  ProvisioningApi,
  requestState,
  type ObservedRequest,
  type RequestSpec,
} from '../core/autoscaling/provisioning-requests.js';
import type { Clock } from '../core/types.js';
import { httpStatusOf, withTimeout } from './api-errors.js';
import { createOrFindExisting, unlessGone } from './idempotent-writes.js';
import { placeholderPodManifest, type PlaceholderPodOptions } from './placeholder-pods.js';

export interface ProvisioningRequestOptions extends PlaceholderPodOptions {
  readonly provisioningClassName: string;
}

export interface ProvisioningRequestApis {
  readonly apis: Pick<ApisApi, 'getAPIVersions'>;
  /** Fenced: createNamespacedPodTemplate, deleteCollectionNamespacedPodTemplate, patchNamespacedPod. */
  readonly core: Pick<
    CoreV1Api,
    'createNamespacedPodTemplate' | 'deleteCollectionNamespacedPodTemplate' | 'patchNamespacedPod'
  >;
  /** Fenced: createNamespacedCustomObject, deleteNamespacedCustomObject. */
  readonly customObjects: Pick<
    CustomObjectsApi,
    'listNamespacedCustomObject' | 'createNamespacedCustomObject' | 'deleteNamespacedCustomObject'
  >;
}

interface RequestObject {
  readonly metadata?: {
    readonly name?: string;
    readonly uid?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly deletionTimestamp?: string;
  };
  readonly status?: { readonly conditions?: readonly { type?: string; status?: string }[] };
}

/** The discovery client (/apis) the adapter asks whether the API is served. */
export function discoveryApi(kc: KubeConfig): Pick<ApisApi, 'getAPIVersions'> {
  return kc.makeApiClient(ApisApi);
}

const REQUEST_TIMEOUT_MS = 10_000;
const REDISCOVER_MS = 60_000;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const labelsOf = (unit: string): Record<string, string> => ({
  'app.kubernetes.io/name': 'phalanx',
  'app.kubernetes.io/component': 'capacity-placeholder',
  'app.kubernetes.io/part-of': 'phalanx',
  [PlaceholderLabel.unit]: unit,
  [PlaceholderLabel.kind]: 'gang',
});

export class ApiProvisioningRequests implements ProvisioningRequestPort {
  readonly #apis: ProvisioningRequestApis;
  readonly #o: ProvisioningRequestOptions;
  readonly #clock: Clock;
  #served = false;
  #checkedAt = -Infinity;

  constructor(apis: ProvisioningRequestApis, options: ProvisioningRequestOptions, clock: Clock) {
    this.#apis = apis;
    this.#o = options;
    this.#clock = clock;
  }

  async served(): Promise<boolean> {
    const now = this.#clock.now();
    if (this.#served || now - this.#checkedAt < REDISCOVER_MS) return this.#served;
    this.#checkedAt = now;
    const groups = (await withTimeout(this.#apis.apis.getAPIVersions(), REQUEST_TIMEOUT_MS, 'API discovery'))
      .groups;
    const group = groups.find((g) => g.name === ProvisioningApi.group);
    this.#served = group?.versions.some((v) => v.version === ProvisioningApi.version) ?? false;
    return this.#served;
  }

  async list(): Promise<ObservedRequest[]> {
    let list: { items?: RequestObject[] };
    try {
      list = (await withTimeout(
        this.#apis.customObjects.listNamespacedCustomObject({
          group: ProvisioningApi.group,
          version: ProvisioningApi.version,
          namespace: this.#o.namespace,
          plural: ProvisioningApi.plural,
          labelSelector: PlaceholderLabel.unit,
        }),
        REQUEST_TIMEOUT_MS,
        'list ProvisioningRequests',
      )) as { items?: RequestObject[] };
    } catch (err) {
      if (httpStatusOf(err) === 404) this.#served = false; // the CRD went away
      throw err;
    }
    return (list.items ?? []).map((r) => ({
      name: r.metadata?.name ?? '',
      uid: r.metadata?.uid ?? '',
      unit: r.metadata?.labels?.[PlaceholderLabel.unit] ?? '',
      specHash: r.metadata?.annotations?.[PlaceholderAnnotation.spec],
      state: requestState(r.status?.conditions),
      deleting: r.metadata?.deletionTimestamp !== undefined,
    }));
  }

  async create(request: RequestSpec): Promise<void> {
    const namespace = this.#o.namespace;
    for (const set of request.podSets) {
      const pod = placeholderPodManifest(set.template, this.#o);
      const body: V1PodTemplate = {
        metadata: { name: set.templateName, namespace, labels: labelsOf(request.unit) },
        template: {
          ...(pod.metadata ? { metadata: pod.metadata } : {}),
          ...(pod.spec ? { spec: pod.spec } : {}),
        },
      };
      await createOrFindExisting(
        withTimeout(
          this.#apis.core.createNamespacedPodTemplate({ namespace, body }),
          REQUEST_TIMEOUT_MS,
          `create PodTemplate ${set.templateName}`,
        ),
      );
    }
    const body = {
      apiVersion: `${ProvisioningApi.group}/${ProvisioningApi.version}`,
      kind: ProvisioningApi.kind,
      metadata: {
        name: request.name,
        namespace,
        labels: labelsOf(request.unit),
        annotations: {
          [PlaceholderAnnotation.spec]: request.specHash,
          [PlaceholderAnnotation.demand]: request.demand,
        },
      },
      spec: {
        provisioningClassName: this.#o.provisioningClassName,
        podSets: request.podSets.map((s) => ({ podTemplateRef: { name: s.templateName }, count: s.count })),
      },
    };
    await createOrFindExisting(
      withTimeout(
        this.#apis.customObjects.createNamespacedCustomObject({
          group: ProvisioningApi.group,
          version: ProvisioningApi.version,
          namespace,
          plural: ProvisioningApi.plural,
          body,
        }),
        REQUEST_TIMEOUT_MS,
        `create ProvisioningRequest ${request.name}`,
      ),
    );
  }

  async delete(name: string, uid: string, unit: string): Promise<void> {
    const namespace = this.#o.namespace;
    await unlessGone(
      withTimeout(
        this.#apis.customObjects.deleteNamespacedCustomObject({
          group: ProvisioningApi.group,
          version: ProvisioningApi.version,
          namespace,
          plural: ProvisioningApi.plural,
          name,
          body: { preconditions: { uid } },
        }),
        REQUEST_TIMEOUT_MS,
        `delete ProvisioningRequest ${name}`,
      ),
    );
    await unlessGone(
      withTimeout(
        this.#apis.core.deleteCollectionNamespacedPodTemplate({
          namespace,
          labelSelector: `${PlaceholderLabel.unit}=${unit}`,
        }),
        REQUEST_TIMEOUT_MS,
        `delete PodTemplates of ${name}`,
      ),
    );
  }

  async consume(pod: string, request: string): Promise<void> {
    const slash = pod.indexOf('/');
    const annotations = {
      [ConsumeAnnotation.request]: request,
      [ConsumeAnnotation.className]: this.#o.provisioningClassName,
      [ConsumeAnnotation.legacyRequest]: request,
      [ConsumeAnnotation.legacyClassName]: this.#o.provisioningClassName,
    };
    await unlessGone(
      withTimeout(
        this.#apis.core.patchNamespacedPod(
          { namespace: pod.slice(0, slash), name: pod.slice(slash + 1), body: { metadata: { annotations } } },
          mergePatch,
        ),
        REQUEST_TIMEOUT_MS,
        `annotate pod ${pod}`,
      ),
    );
  }
}
