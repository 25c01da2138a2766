// Component versions and where their binaries live (kept in step with scripts/cluster-build.sh).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Kubernetes versions the suite is run against; the first is the default. */
export const SUPPORTED_K8S_VERSIONS = ['1.37.2', '1.33.13'] as const;
export const ETCD_VERSION = '3.6.16';
export const KWOK_VERSION = '0.8.0';

export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** Kubernetes version selected by PHALANX_K8S_VERSION (default: the newest supported). */
export function selectedK8sVersion(env: NodeJS.ProcessEnv = process.env): string {
  const version = env['PHALANX_K8S_VERSION'] ?? SUPPORTED_K8S_VERSIONS[0];
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new Error(`PHALANX_K8S_VERSION must look like 1.37.2, got ${version}`);
  return version;
}

/** Cache root shared with scripts/node-env.sh and scripts/cluster-build.sh. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['PHALANX_CACHE'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'phalanx');
}

export interface BinaryPaths {
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubectl: string;
  readonly etcd: string;
  readonly kwok: string;
  readonly kwokctl: string;
  /** kwokctl's stock Stages, extracted from the kwok module by the build script. */
  readonly defaultStages: string;
}

export function binaryPaths(k8sVersion: string, env: NodeJS.ProcessEnv = process.env): BinaryPaths {
  const bin = join(cacheRoot(env), 'bin');
  const k8s = join(bin, `v${k8sVersion}`);
  const kwok = join(bin, `kwok-v${KWOK_VERSION}`);
  return {
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
    etcd: join(bin, `etcd-v${ETCD_VERSION}`, 'etcd'),
    kwok: join(kwok, 'kwok'),
    kwokctl: join(kwok, 'kwokctl'),
    defaultStages: join(kwok, 'default-stages.yaml'),
  };
}
