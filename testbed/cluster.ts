// The local test cluster: upstream kube-apiserver, kube-controller-manager, kube-scheduler and
// etcd built from their Go modules, with KWOK simulating the kubelets of a fabric of fake GPU
// nodes. Brought up by kwokctl (runtime `binary`), on loopback, with deploy/'s scheduler config.
// Used by `npm run cluster:up|down`, the e2e suite, the demo and the benchmarks.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { ensureBinaries } from './binaries.js';
import { ensureExtenderCertificates, type ExtenderCertificateFiles } from './extender-certs.js';
import { fabricNodes, KWOK_NODE_ANNOTATION, parseFabric, type FabricNode } from './fabric.js';
import { createFabricNodes, waitFabricReady } from './nodes.js';
import { stopPhalanx } from './phalanx-process.js';
import { DEPLOY_SCHEDULER_CONFIG, localSchedulerConfig } from './scheduler-config.js';
import { binaryPaths, REPO_ROOT, selectedK8sVersion, type BinaryPaths } from './versions.js';

const run = promisify(execFile);

export const DEFAULT_CLUSTER_NAME = 'phalanx';
export const DEFAULT_FABRIC = 'testbed/fabric/demo.yaml';
export const DEFAULT_EXTENDER_PORT = 8888;
const KWOKCTL_TIMEOUT_MS = 180_000;
const FABRIC_READY_TIMEOUT_MS = 120_000;

export interface ClusterOptions {
  /** kwokctl cluster name; state lives in `.cluster/<name>/`. */
  readonly name?: string;
  /** Fabric spec, relative to the repository root or absolute. */
  readonly fabricFile?: string;
  /** Port of the Phalanx extender on 127.0.0.1, written into the scheduler's urlPrefix. */
  readonly extenderPort?: number;
  /** Kubernetes version; default PHALANX_K8S_VERSION or the newest supported. */
  readonly k8sVersion?: string;
  /** Extra `kwokctl create cluster` flags (feature gates, `--disable kube-scheduler`, `--extra-args`). */
  readonly kwokctlArgs?: readonly string[];
  /**
   * False: fabric nodes are created Ready, without KWOK's annotation — with `--disable kwok-controller`
   * in kwokctlArgs no kubelet is simulated (no heartbeats, bound pods stay Pending), the
   * scheduler_perf way, for benchmarks. Default true.
   */
  readonly kwokManagedNodes?: boolean;
  readonly log?: (line: string) => void;
}

export interface Cluster {
  readonly name: string;
  readonly k8sVersion: string;
  /** Absolute path of the admin kubeconfig. */
  readonly kubeconfig: string;
  readonly stateDir: string;
  readonly nodes: readonly FabricNode[];
  /** True when an existing healthy cluster with the same inputs was kept. */
  readonly reused: boolean;
  /**
   * The extender's mutual TLS: the scheduler presents the client pair and trusts the CA; Phalanx
   * serves the server pair and requires client certificates from the same CA.
   */
  readonly extenderTls: ExtenderCertificateFiles;
}

export function stateDirOf(name: string): string {
  return join(REPO_ROOT, '.cluster', name);
}

/** Brings the cluster up (or keeps the running one when nothing changed) and creates the fabric. */
export async function clusterUp(opts: ClusterOptions = {}): Promise<Cluster> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[cluster] ${line}\n`));
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const k8sVersion = opts.k8sVersion ?? selectedK8sVersion();
  const stateDir = stateDirOf(name);
  const kubeconfig = join(stateDir, 'kubeconfig.yaml');
  const started = Date.now();

  const bins = await ensureBinaries(k8sVersion);
  const fabricText = await readFile(resolve(REPO_ROOT, opts.fabricFile ?? DEFAULT_FABRIC), 'utf8');
  const managed = opts.kwokManagedNodes ?? true;
  const nodes = fabricNodes(parseFabric(fabricText)).map((n) => (managed ? n : withoutKwokAnnotation(n)));
  const extraArgs = opts.kwokctlArgs ?? [];
  await mkdir(stateDir, { recursive: true });
  // The scheduler calls the extender over mutual TLS, as deploy/ ships it.
  const extenderTls = await ensureExtenderCertificates(stateDir);
  const extenderUrl = `https://127.0.0.1:${opts.extenderPort ?? DEFAULT_EXTENDER_PORT}`;
  const schedulerConfig = localSchedulerConfig(
    await readFile(join(REPO_ROOT, DEPLOY_SCHEDULER_CONFIG), 'utf8'),
    extenderUrl,
    { certFile: extenderTls.clientCertFile, keyFile: extenderTls.clientKeyFile, caFile: extenderTls.caFile },
  );
  const kwokctlConfig = await kwokctlConfigYaml(bins);

  const signature = hash([
    k8sVersion,
    schedulerConfig,
    // New certificates (the old ones near expiry) need a new scheduler: it reads the CA at start.
    await readFile(extenderTls.caFile, 'utf8'),
    kwokctlConfig,
    fabricText,
    ...(managed ? [] : ['unmanaged']),
    ...extraArgs,
  ]);
  const signatureFile = join(stateDir, 'signature');
  const previous = await readFile(signatureFile, 'utf8').catch(() => '');
  const reused = previous === signature && (await apiServerVersion(kubeconfig)) === `v${k8sVersion}`;
  if (reused) {
    log(`reusing running cluster ${name} (Kubernetes v${k8sVersion})`);
  } else {
    await stopPhalanx(stateDir);
    await deleteKwokCluster(bins, name);
    await rm(signatureFile, { force: true });
    const schedulerConfigFile = join(stateDir, 'kube-scheduler-config.yaml');
    const kwokctlConfigFile = join(stateDir, 'kwokctl-config.yaml');
    await writeFile(schedulerConfigFile, schedulerConfig);
    await writeFile(kwokctlConfigFile, kwokctlConfig);
    log(`creating cluster ${name} (Kubernetes v${k8sVersion}, extender ${extenderUrl})`);
    await kwokctl(bins, [
      'create', 'cluster', '--name', name, '--runtime', 'binary', '--config', kwokctlConfigFile,
      '--etcd-binary', bins.etcd,
      '--kube-apiserver-binary', bins.kubeApiserver,
      '--kube-controller-manager-binary', bins.kubeControllerManager,
      '--kube-scheduler-binary', bins.kubeScheduler,
      '--kwok-controller-binary', bins.kwok,
      '--kube-scheduler-config', schedulerConfigFile,
      '--kubeconfig', kubeconfig,
      '--wait', '2m',
      ...extraArgs,
    ]); // prettier-ignore
  }

  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await createFabricNodes(kc, nodes);
  await waitFabricReady(kc, nodes, FABRIC_READY_TIMEOUT_MS);
  if (!reused) await writeFile(signatureFile, signature);
  log(`${nodes.length} fabric nodes Ready (${((Date.now() - started) / 1000).toFixed(1)} s since start)`);
  return { name, k8sVersion, kubeconfig, stateDir, nodes, reused, extenderTls };
}

/** Stops Phalanx and every cluster process, and removes the cluster's state. Safe to repeat. */
export async function clusterDown(name: string = DEFAULT_CLUSTER_NAME): Promise<void> {
  const stateDir = stateDirOf(name);
  await stopPhalanx(stateDir);
  // kwokctl does not depend on the Kubernetes version; any version's paths locate it.
  await deleteKwokCluster(binaryPaths(selectedK8sVersion()), name);
  await rm(stateDir, { recursive: true, force: true });
}

/** The API server's gitVersion, or undefined when it does not answer. */
export async function apiServerVersion(kubeconfig: string): Promise<string | undefined> {
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    return (await kc.makeApiClient(VersionApi).getCode()).gitVersion;
  } catch {
    return undefined;
  }
}

async function deleteKwokCluster(bins: BinaryPaths, name: string): Promise<void> {
  const known = await kwokctl(bins, ['get', 'clusters']).catch(() => '');
  if (known.split('\n').some((line) => line.trim() === name)) {
    await kwokctl(bins, ['delete', 'cluster', '--name', name]);
  }
}

async function kwokctl(bins: BinaryPaths, args: string[]): Promise<string> {
  const { stdout } = await run(bins.kwokctl, args, { timeout: KWOKCTL_TIMEOUT_MS, maxBuffer: 16 << 20 });
  return stdout;
}

/**
 * kwokctl's `--config` file: our options (loopback listeners), kwokctl's stock Stages (it drops
 * them when given any Stage) and our Stage that fails terminating pods held by finalizers.
 */
async function kwokctlConfigYaml(bins: BinaryPaths): Promise<string> {
  const own = (file: string) => readFile(join(REPO_ROOT, 'testbed/kwok', file), 'utf8');
  const parts = [
    await own('kwokctl-options.yaml'),
    await readFile(bins.defaultStages, 'utf8'),
    await own('pod-terminating-with-finalizers.yaml'),
  ];
  return parts.map((p) => `---\n${p.replace(/^---\n/, '').trimEnd()}\n`).join('');
}

/** A node no kubelet simulator manages: created Ready with its status, never heartbeated. */
function withoutKwokAnnotation(node: FabricNode): FabricNode {
  const { [KWOK_NODE_ANNOTATION]: _managed, ...annotations } = node.manifest.metadata?.annotations ?? {};
  const ready = {
    type: 'Ready',
    status: 'True',
    reason: 'BenchmarkNode',
    message: 'created Ready, no kubelet',
  };
  return {
    ...node,
    manifest: {
      ...node.manifest,
      metadata: { ...node.manifest.metadata, annotations },
      status: { ...node.manifest.status, conditions: [ready] },
    },
  };
}

function hash(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}
