// Loads API credentials (an explicit kubeconfig, or the in-cluster service account) and builds the
// API clients src/kube uses. The composition root decides `inCluster` from KUBERNETES_SERVICE_HOST.
import { existsSync } from 'node:fs';
import {
  AdmissionregistrationV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from '@kubernetes/client-node';

export interface KubeConfigOptions {
  /** Path to a kubeconfig file; wins over in-cluster. */
  readonly kubeconfig?: string | undefined;
  /** True when running in a pod (the caller checks KUBERNETES_SERVICE_HOST). */
  readonly inCluster?: boolean | undefined;
}

export function loadKubeConfig(opts: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
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
