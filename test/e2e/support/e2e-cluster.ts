// One e2e environment per test file: the local cluster with the e2e fabric, deploy/'s Phalanx RBAC,
// Phalanx running as that ServiceAccount with webhook certificate files, and deploy/'s webhook
// configuration registered by URL. Tests talk to the API as admin, like a user would.
import { copyFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { clusterDown, clusterUp, stateDirOf, type Cluster } from '../../cluster/cluster.js';
import { PHALANX_LOG } from '../../cluster/phalanx-process.js';
import { REPO_ROOT } from '../../cluster/versions.js';
import { registerWebhook } from '../../cluster/webhook-registration.js';
import { applyPhalanxRbac, PHALANX_NAMESPACE, PHALANX_SERVICE_ACCOUNT } from './deploy-rbac.js';
import { PHALANX_STAND_IN_POD, phalanxRunner, type PhalanxRunner } from './phalanx-runner.js';
import { writeServiceAccountKubeconfig } from './sa-kubeconfig.js';
import { waitFor } from './wait.js';
import { writeWebhookCertificates } from './webhook-certs.js';

export const E2E_FABRIC = 'test/fabric/e2e.yaml';
export const DEPLOY_WEBHOOK = join(REPO_ROOT, 'deploy/webhook/mutating-webhook.yaml');

export interface E2E {
  readonly cluster: Cluster;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly phalanx: PhalanxRunner;
  /** The username Phalanx authenticates as. */
  readonly phalanxUser: string;
  /** Seconds each bring-up step took, for the report. */
  readonly timings: Readonly<Record<string, number>>;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; it is released before the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function log(line: string): void {
  process.stderr.write(`[e2e] ${line}\n`);
}

export interface StartOptions {
  readonly policy?: string;
  /** Default: the e2e fabric. */
  readonly fabricFile?: string;
  /** Extra `kwokctl create cluster` flags, e.g. `--kube-feature-gates` and `--kube-runtime-config`. */
  readonly kwokctlArgs?: readonly string[];
}

export async function startE2E(name: string, opts: StartOptions = {}): Promise<E2E> {
  const timings: Record<string, number> = {};
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await fn();
    timings[label] = (Date.now() - t0) / 1000;
    log(`${name}: ${label} in ${timings[label].toFixed(1)} s`);
    return value;
  };
  const [extenderPort, webhookPort] = [await freePort(), await freePort()];
  // One retry: on a loaded 2-core machine kwokctl's API server has (rarely) missed its 2-minute start.
  const up = () =>
    clusterUp({
      name,
      fabricFile: opts.fabricFile ?? E2E_FABRIC,
      extenderPort,
      ...(opts.kwokctlArgs === undefined ? {} : { kwokctlArgs: opts.kwokctlArgs }),
      log: (l) => log(`${name}: ${l}`),
    });
  const cluster = await step('cluster up', () =>
    up().catch(async (err: unknown) => {
      log(
        `${name}: cluster up failed, retrying once: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
      await keepLogs(name, ['etcd.log', 'kube-apiserver.log'], 'failed-start.');
      await clusterDown(name);
      return up();
    }),
  );
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);

  const dir = join(cluster.stateDir, 'e2e');
  await mkdir(dir, { recursive: true });
  const saKubeconfig = join(dir, 'phalanx-sa.kubeconfig');
  const phalanxUser = await step('deploy/ RBAC and ServiceAccount token', async () => {
    await applyPhalanxRbac(cluster.kubeconfig);
    return writeServiceAccountKubeconfig({
      adminKubeconfig: cluster.kubeconfig,
      namespace: PHALANX_NAMESPACE,
      serviceAccount: PHALANX_SERVICE_ACCOUNT,
      file: saKubeconfig,
    });
  });
  await core.createNamespacedPod({ namespace: PHALANX_NAMESPACE, body: standInPod() });
  const certs = await writeWebhookCertificates(dir);
  const phalanx = phalanxRunner({
    stateDir: cluster.stateDir,
    kubeconfig: saKubeconfig,
    extenderPort,
    webhookPort,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
  });
  await step('Phalanx ready', () => phalanx.start());
  await step('webhook registered', () =>
    registerWebhook(cluster.kubeconfig, DEPLOY_WEBHOOK, `https://127.0.0.1:${webhookPort}`, certs.caPem),
  );
  return {
    cluster,
    kc,
    core,
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    phalanx,
    phalanxUser,
    timings,
  };
}

/** A pod standing for a Phalanx replica's, never scheduled (no scheduler has its name). */
export function standInPod(name = PHALANX_STAND_IN_POD, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, labels: { 'app.kubernetes.io/name': 'phalanx', ...labels } },
    spec: {
      schedulerName: 'phalanx-e2e-stand-in',
      // phalanx-system enforces the restricted Pod Security Standard, as the shipped pods meet it.
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'phalanx',
          image: 'phalanx:e2e',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

/** Where Phalanx's log of each e2e cluster is kept after the cluster is gone (.cluster/ is ignored). */
export const E2E_LOG_DIR = join(REPO_ROOT, '.cluster', 'e2e-logs');

/** kwokctl's per-cluster logs (its default working directory). */
const kwokLogDir = (name: string) => join(homedir(), '.kwok', 'clusters', name, 'logs');
const KEPT_KWOK_LOGS = ['kube-apiserver.log', 'kube-scheduler.log', 'kube-controller-manager.log'];

async function keepLogs(name: string, kwokLogs: readonly string[], prefix = ''): Promise<void> {
  await mkdir(E2E_LOG_DIR, { recursive: true });
  const keep = (from: string, as: string) =>
    copyFile(from, join(E2E_LOG_DIR, `${name}.${prefix}${as}`)).catch(() => undefined);
  await keep(join(stateDirOf(name), PHALANX_LOG), PHALANX_LOG);
  for (const log of kwokLogs) await keep(join(kwokLogDir(name), log), log);
}

/** Tears the cluster down, keeping Phalanx's and the control plane's logs in E2E_LOG_DIR. */
export async function stopE2E(name: string): Promise<void> {
  await keepLogs(name, KEPT_KWOK_LOGS);
  await clusterDown(name);
}

/**
 * One test file's environment: its cluster and Phalanx start before the file's first test (then the
 * namespaces are created) and stop after its last, with the tail of Phalanx's log kept in the output.
 * The returned object is filled in when the start completes; use it inside hooks and tests only.
 * A file's own afterAll hooks run before this teardown (vitest runs after-hooks in reverse order).
 */
export function useE2E(name: string, opts: StartOptions & { namespaces?: readonly string[] } = {}): E2E {
  const e2e = {} as E2E;
  let started = false;
  beforeAll(async () => {
    Object.assign(e2e, await startE2E(name, opts));
    started = true;
    for (const namespace of opts.namespaces ?? []) await createNamespace(e2e, namespace);
  });
  afterAll(async () => {
    if (started) log(`${name}: Phalanx log tail:\n${await e2e.phalanx.logTail(10)}`);
    await stopE2E(name);
  });
  return e2e;
}

/** Creates a namespace and waits for its default ServiceAccount (pods need it to be admitted). */
export async function createNamespace(e2e: E2E, namespace: string): Promise<void> {
  await e2e.core.createNamespace({ body: { metadata: { name: namespace } } });
  await waitFor(`default ServiceAccount in ${namespace}`, () =>
    e2e.core.readNamespacedServiceAccount({ name: 'default', namespace }),
  );
}
