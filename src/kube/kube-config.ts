// Loads API credentials (an explicit kubeconfig, or the in-cluster service account) and builds the
// API clients src/kube uses. The composition root decides `inCluster` from KUBERNETES_SERVICE_HOST.
import { existsSync, statSync } from 'node:fs';
import {
  AdmissionregistrationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type RequestContext,
} from '@kubernetes/client-node';
import { Agent } from 'undici';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;
type AgentConnect = NonNullable<NonNullable<ConstructorParameters<typeof Agent>[0]>['connect']>;
type DispatcherFactory = (cluster: unknown, agentOptions: unknown) => Dispatcher | undefined;

/**
 * How long an idle connection to the API server is kept. undici's default (4 s, when the server
 * sends no Keep-Alive hint, which Go servers never do) closed the pool between two gangs, so each
 * gang's commit (one Binding per member, in parallel) paid a TLS handshake per member on both ends.
 * The API server closes idle connections after 90 s; 30 s stays under common load-balancer idle limits.
 */
export const API_KEEP_ALIVE_MS = 30_000;

/**
 * A KubeConfig whose API calls share one connection pool. client-node 2.0.1 builds a new undici
 * Agent in every applySecurityAuthentication, i.e. per API call (watch, bind, patch, event, lease),
 * so each call paid a fresh TCP + TLS handshake on both ends. Here the first Agent is kept and
 * reused while the TLS material it was built from is unchanged; when it changes (a rotated
 * certificate file, a different context) a new one replaces it and the old one closes once its
 * requests finish. Users with an exec plugin keep client-node's behaviour: the plugin may hand out
 * client certificates this class cannot see.
 */
export class PooledKubeConfig extends KubeConfig {
  #pooled: { readonly key: string; readonly dispatcher: Dispatcher } | undefined;

  constructor() {
    super();
    // client-node's dispatcher factory is private: shadowed per instance so the plain-TLS Agent it
    // builds keeps idle connections API_KEEP_ALIVE_MS; proxies and SOCKS keep client-node's own.
    const self = this as unknown as { createDispatcher: DispatcherFactory };
    const original = self.createDispatcher.bind(this);
    self.createDispatcher = (cluster, agentOptions) => {
      const opts = this.createDispatcherOptions(
        cluster as Parameters<KubeConfig['createDispatcherOptions']>[0],
        agentOptions as Parameters<KubeConfig['createDispatcherOptions']>[1],
      );
      if (opts.type !== 'agent') return original(cluster, agentOptions);
      // client-node types its TLS options with optional fields undici's types want set or absent.
      const connect = opts.connect as AgentConnect;
      return new Agent({ connect, keepAliveTimeout: API_KEEP_ALIVE_MS });
    };
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    const key = this.#connectionKey();
    if (fresh === undefined || key === undefined) return;
    if (this.#pooled?.key === key) {
      context.setDispatcher(this.#pooled.dispatcher);
      return;
    }
    const previous = this.#pooled;
    this.#pooled = { key, dispatcher: fresh };
    previous?.dispatcher.close().catch(() => undefined);
  }

  /** What the connection's TLS setup is built from, or undefined when it cannot be known. */
  #connectionKey(): string | undefined {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (cluster === null || user?.exec !== undefined) return undefined;
    const mtime = (file: string | undefined): number | undefined => {
      if (file === undefined) return undefined;
      try {
        return statSync(file).mtimeMs;
      } catch {
        return undefined;
      }
    };
    return JSON.stringify([
      cluster.name,
      cluster.server,
      cluster.caData,
      cluster.caFile,
      mtime(cluster.caFile),
      cluster.skipTLSVerify,
      cluster.tlsServerName,
      cluster.proxyUrl,
      user?.name,
      user?.certData,
      user?.certFile,
      mtime(user?.certFile),
      user?.keyData,
      user?.keyFile,
      mtime(user?.keyFile),
    ]);
  }
}

export interface KubeConfigOptions {
  /** Path to a kubeconfig file; wins over in-cluster. */
  readonly kubeconfig?: string | undefined;
  /** True when running in a pod (the caller checks KUBERNETES_SERVICE_HOST). */
  readonly inCluster?: boolean | undefined;
}

export function loadKubeConfig(opts: KubeConfigOptions): KubeConfig {
  const kc = new PooledKubeConfig();
  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig)) {
      throw new Error(`kubeconfig ${opts.kubeconfig}: file not found`);
    }
    kc.loadFromFile(opts.kubeconfig);
    if (kc.getCurrentCluster() === null) {
      throw new Error(`kubeconfig ${opts.kubeconfig}: no current context with a cluster`);
    }
    return kc;
  }
  if (opts.inCluster === true) {
    kc.loadFromCluster();
    return kc;
  }
  throw new Error('no kubeconfig given and not running in a cluster: pass --kubeconfig <path>');
}

/** The typed API clients Phalanx uses, built once per process so connections are shared. */
export interface KubeClients {
  readonly config: KubeConfig;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  /** Jobs (gang size of indexed Jobs). */
  readonly batch: BatchV1Api;
  /** PodGroups (scheduling.x-k8s.io) and other custom resources. */
  readonly customObjects: CustomObjectsApi;
  /** The webhook configuration whose caBundle the self-managed CA is published in. */
  readonly admissionRegistration: AdmissionregistrationV1Api;
}

export function createKubeClients(kc: KubeConfig): KubeClients {
  return {
    config: kc,
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    customObjects: kc.makeApiClient(CustomObjectsApi),
    admissionRegistration: kc.makeApiClient(AdmissionregistrationV1Api),
  };
}
