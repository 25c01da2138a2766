// An in-memory slice of CoreV1Api for pods, bindings and events, with the API server's answers
// (404, 409, 422 on a failed JSON-patch test) and a switch to "apply but never answer" (timeouts).
import {
  ApiException,
  HttpMethod,
  RequestContext,
  type ConfigurationOptions,
  type CoreV1Event,
  type V1Binding,
  type V1Pod,
} from '@kubernetes/client-node';
import fastJsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

export type Op = 'patchPod' | 'bind' | 'readPod' | 'createEvent' | 'patchEvent';

const apiError = (code: number, message: string) => new ApiException(code, message, { message }, {});

/** The Content-Type the request would carry after the caller's middleware ran. */
export async function contentTypeOf(options: ConfigurationOptions | undefined): Promise<string | undefined> {
  const ctx = new RequestContext('https://127.0.0.1/api', HttpMethod.PATCH);
  for (const m of options?.middleware ?? []) {
    const out = m.pre(ctx) as unknown as { toPromise?: () => Promise<unknown> };
    if (typeof out.toPromise === 'function') await out.toPromise();
  }
  return ctx.getHeaders()['Content-Type'];
}

export class FakePodApi {
  readonly pods = new Map<string, V1Pod>();
  readonly events = new Map<string, CoreV1Event>();
  readonly calls: { op: Op; contentType?: string | undefined; body?: unknown }[] = [];
  /** Operations that take effect on the server but whose answer never arrives. */
  readonly unanswered = new Set<Op>();
  /** Operations failing with this HTTP status before taking effect. */
  readonly failWith = new Map<Op, number>();

  addPod(namespace: string, name: string, uid: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
    const pod: V1Pod = {
      metadata: { name, namespace, uid, annotations: {} },
      spec: { containers: [], ...extra },
    };
    this.pods.set(`${namespace}/${name}`, pod);
    return pod;
  }

  patchNamespacedPod = async (
    p: { name: string; namespace: string; body: unknown },
    options?: ConfigurationOptions,
  ): Promise<V1Pod> => {
    const contentType = await contentTypeOf(options);
    return this.#run('patchPod', { contentType, body: p.body }, () => {
      const pod = this.#pod(p.namespace, p.name);
      if (contentType === 'application/json-patch+json') {
        try {
          const patched = fastJsonPatch.applyPatch(
            structuredClone(pod),
            p.body as Operation[],
            true,
            false,
          ).newDocument;
          this.pods.set(`${p.namespace}/${p.name}`, patched);
          return patched;
        } catch (err) {
          throw apiError(422, `the server rejected our request: ${String(err)}`);
        }
      }
      if (contentType !== 'application/merge-patch+json')
        throw apiError(415, `unsupported patch type ${contentType}`);
      const body = p.body as { metadata?: { uid?: string; annotations?: Record<string, string> } };
      if (body.metadata?.uid !== undefined && body.metadata.uid !== pod.metadata?.uid) {
        throw apiError(409, 'Precondition failed: UID in precondition differs');
      }
      pod.metadata = {
        ...pod.metadata,
        annotations: { ...pod.metadata?.annotations, ...body.metadata?.annotations },
      };
      return pod;
    });
  };

  createNamespacedPodBinding = (p: {
    name: string;
    namespace: string;
    body: V1Binding;
  }): Promise<V1Binding> =>
    this.#run('bind', { body: p.body }, () => {
      const pod = this.#pod(p.namespace, p.name);
      if (p.body.metadata?.uid !== pod.metadata?.uid) throw apiError(409, 'Precondition failed: UID');
      if (pod.spec?.nodeName)
        throw apiError(409, `pod ${p.name} is already assigned to node ${pod.spec.nodeName}`);
      const nodeName = p.body.target.name ?? '';
      pod.spec = { containers: [], ...pod.spec, nodeName };
      // As the API server does: the Binding's annotations land on the pod in the same update.
      const annotations = p.body.metadata?.annotations;
      if (annotations !== undefined && pod.metadata !== undefined) {
        pod.metadata.annotations = { ...pod.metadata.annotations, ...annotations };
      }
      return p.body;
    });

  readNamespacedPod = (p: { name: string; namespace: string }): Promise<V1Pod> =>
    this.#run('readPod', {}, () => structuredClone(this.#pod(p.namespace, p.name)));

  createNamespacedEvent = (p: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event> =>
    this.#run('createEvent', { body: p.body }, () => {
      this.events.set(`${p.namespace}/${p.body.metadata.name}`, structuredClone(p.body));
      return p.body;
    });

  patchNamespacedEvent = async (
    p: { name: string; namespace: string; body: unknown },
    options?: ConfigurationOptions,
  ): Promise<CoreV1Event> => {
    const contentType = await contentTypeOf(options);
    return this.#run('patchEvent', { contentType, body: p.body }, () => {
      const event = this.events.get(`${p.namespace}/${p.name}`);
      if (event === undefined) throw apiError(404, 'event not found');
      Object.assign(event, p.body);
      return event;
    });
  };

  #pod(namespace: string, name: string): V1Pod {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (pod === undefined) throw apiError(404, `pods "${name}" not found`);
    return pod;
  }

  #run<T>(op: Op, call: { contentType?: string | undefined; body?: unknown }, effect: () => T): Promise<T> {
    this.calls.push({ op, ...call });
    const status = this.failWith.get(op);
    if (status !== undefined) return Promise.reject(apiError(status, `injected ${status}`));
    try {
      const result = effect();
      if (this.unanswered.has(op)) return new Promise<T>(() => undefined);
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
