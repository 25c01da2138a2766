// The only writer of scheduling decisions: one pods/binding create with the UID as precondition,
// carrying the decision as the Binding's annotations. The API server copies a Binding's
// annotations onto the pod in the same update that sets nodeName (pkg/registry/core/pod/storage
// setPodNodeAndMetadata, 1.33 through 1.37), so a bound pod always carries its decision, in one
// write and one watch event instead of a patch and a bind. A request that times out may still have
// happened on the server, so the pod is re-read before a failure is reported, and the failure says
// whether the pod is surely unbound ('unbound', 'other', 'gone') or may be bound ('unknown').
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { BindError, type Binder, type PodRef } from '../app/ports.js';
import type { PodBindingApi } from './binding-request.js';
import { RequestTimeoutError, describeError, httpStatusOf, withTimeout } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';

export type PodWriteApi = Pick<
  CoreV1Api,
  'patchNamespacedPod' | 'createNamespacedPodBinding' | 'readNamespacedPod'
>;

export interface PodBinderOptions {
  readonly api: PodWriteApi;
  /** Where Bindings are created; default `api` (serve.ts passes binding-request.ts's leaner path). */
  readonly bindings?: PodBindingApi;
  readonly logger: KubeLogger;
  /** Per-request deadline; keep it (plus a re-read) inside the scheduler's bind timeout. Default 5 s. */
  readonly requestTimeoutMs?: number;
}

const GATE_PATCH_ATTEMPTS = 3;

export class PodBinder implements Binder {
  readonly #api: PodWriteApi;
  readonly #bindings: PodBindingApi;
  readonly #logger: KubeLogger;
  readonly #timeoutMs: number;

  constructor(options: PodBinderOptions) {
    this.#api = options.api;
    this.#bindings = options.bindings ?? options.api;
    this.#logger = options.logger;
    this.#timeoutMs = options.requestTimeoutMs ?? 5_000;
  }

  async annotateAndBind(
    pod: PodRef,
    node: string,
    annotations: Readonly<Record<string, string>>,
  ): Promise<void> {
    const where = `pod ${pod.namespace}/${pod.name}`;
    const { name, namespace } = pod;
    try {
      const body = {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace, uid: pod.uid, annotations: { ...annotations } },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      };
      await this.#timed(
        this.#bindings.createNamespacedPodBinding({ name, namespace, body }),
        `bind ${where}`,
      );
    } catch (err) {
      const failure = await this.#settleFailure(err, pod, node, annotations, `bind ${where} to ${node}`);
      if (failure !== undefined) throw failure;
    }
  }

  /**
   * Decides what a failed bind means, reading the pod back from the API server (never the cache,
   * which may lag) when the answer alone cannot tell: a timeout, a 5xx or a dropped connection may
   * have bound the pod, and a 409 on a retry may be our own earlier attempt that landed. Resolves to
   * undefined when our Binding is in place, else to the BindError to throw.
   */
  async #settleFailure(
    err: unknown,
    pod: PodRef,
    node: string,
    annotations: Readonly<Record<string, string>>,
    what: string,
  ): Promise<BindError | undefined> {
    const status = httpStatusOf(err);
    const uncertain =
      err instanceof RequestTimeoutError || status === undefined || status >= 500 || status === 429;
    if (!uncertain && status !== 409) return toBindError(err, what);
    let live: V1Pod | undefined;
    try {
      live = await this.#read(pod);
    } catch (readErr) {
      const detail = `${what}: ${describeError(err)}; reading the pod back failed: ${describeError(readErr)}`;
      return new BindError('unknown', detail);
    }
    if (boundWith(live, node, annotations)) return undefined;
    if (status === 409) return toBindError(err, what);
    if (live === undefined) return new BindError('gone', `${what}: ${describeError(err)}; the pod is gone`);
    if (live.spec?.nodeName) return new BindError('other', `${what}: ${describeError(err)}; bound otherwise`);
    return new BindError('unbound', `${what}: ${describeError(err)}; the pod is still unbound`);
  }

  async removeSchedulingGate(pod: PodRef, gate: string): Promise<void> {
    const where = `pod ${pod.namespace}/${pod.name}`;
    for (let attempt = 1; ; attempt++) {
      const live = await this.#read(pod).catch((err: unknown) => {
        throw toBindError(err, `read ${where}`);
      });
      if (live === undefined) throw new BindError('gone', `${where} (uid ${pod.uid}) no longer exists`);
      const index = (live.spec?.schedulingGates ?? []).findIndex((g) => g.name === gate);
      if (index < 0) return;
      // Gates can only be removed; the test ops make the patch fail if the list moved under us.
      const body = [
        { op: 'test', path: '/metadata/uid', value: pod.uid },
        { op: 'test', path: `/spec/schedulingGates/${index}/name`, value: gate },
        { op: 'remove', path: `/spec/schedulingGates/${index}` },
      ];
      try {
        const json = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
        await this.#timed(
          this.#api.patchNamespacedPod({ name: pod.name, namespace: pod.namespace, body }, json),
          `ungate ${where}`,
        );
        this.#logger.info({ pod: `${pod.namespace}/${pod.name}`, gate }, 'scheduling gate removed');
        return;
      } catch (err) {
        const status = httpStatusOf(err);
        const retry =
          (status === 422 || status === 409 || err instanceof RequestTimeoutError) &&
          attempt < GATE_PATCH_ATTEMPTS;
        if (!retry) throw toBindError(err, `remove gate ${gate} from ${where}`);
        this.#logger.debug(
          { pod: `${pod.namespace}/${pod.name}`, attempt, err: describeError(err) },
          'gate patch retried',
        );
      }
    }
  }

  /** The pod from the API server, or undefined when it is gone or was recreated with another UID. */
  async #read(pod: PodRef): Promise<V1Pod | undefined> {
    try {
      const live = await this.#timed(
        this.#api.readNamespacedPod({ name: pod.name, namespace: pod.namespace }),
        `read pod ${pod.namespace}/${pod.name}`,
      );
      return live.metadata?.uid === pod.uid ? live : undefined;
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  #timed<T>(promise: Promise<T>, what: string): Promise<T> {
    return withTimeout(promise, this.#timeoutMs, what);
  }
}

/** Did our Binding land (the node and the decision are set together)? */
function boundWith(
  live: V1Pod | undefined,
  node: string,
  annotations: Readonly<Record<string, string>>,
): boolean {
  const have = live?.metadata?.annotations ?? {};
  return live?.spec?.nodeName === node && Object.entries(annotations).every(([k, v]) => have[k] === v);
}

export function toBindError(err: unknown, what: string): BindError {
  if (err instanceof BindError) return err;
  const status = httpStatusOf(err);
  const detail = `${what}: ${describeError(err)}`;
  if (status === 409) return new BindError('conflict', detail);
  if (status === 404) return new BindError('gone', detail);
  return new BindError('other', detail);
}
