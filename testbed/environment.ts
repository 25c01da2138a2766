// A local cluster that runs Phalanx as it is deployed: the cluster with a fabric, deploy/'s Phalanx
// RBAC, Phalanx (from the working tree) running as that ServiceAccount with webhook certificate
// files, and deploy/'s webhook configuration registered by URL. The e2e suite (one environment per
// test file), the demo and `cluster:up` build it; callers talk to the API as admin, like a user would.
import { copyFile, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { clusterDown, clusterUp, stateDirOf, type Cluster } from './cluster.js';
import { startDetached } from './detached-process.js';
import { DEVICE_PLUGIN_LOG, DEVICE_PLUGIN_PROCESS, PHALANX_LOG } from './phalanx-process.js';
import { REPO_ROOT } from './versions.js';
import { holdFreePort, type PortHold } from './free-port.js';
import { startLaggingLink, type LaggingLink } from './lagging-link.js';
import { registerWebhook } from './webhook-registration.js';
import { applyPhalanxRbac, PHALANX_NAMESPACE, PHALANX_SERVICE_ACCOUNT } from './deploy-rbac.js';
import { PHALANX_STAND_IN_POD, phalanxRunner, type PhalanxRunner } from './phalanx-runner.js';
import { writeServiceAccountKubeconfig } from './sa-kubeconfig.js';
import { applyReservationDeploy, startDevicePlugin, type DevicePluginStandIn } from './device-plugin.js';
import { waitFor } from './wait.js';
import { writeWebhookCertificates } from './webhook-certs.js';

export const E2E_FABRIC = 'testbed/fabric/e2e.yaml';
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
  /** The NVIDIA device plugin and reservation-container stand-in (testbed/device-plugin.ts). */
  readonly devicePlugin: DevicePluginStandIn;
  /** Seconds each bring-up step took, for the report. */
  readonly timings: Readonly<Record<string, number>>;
}

/** Progress of the environment on stderr, prefixed like the rest of the harness. */
export function log(line: string): void {
  process.stderr.write(`[e2e] ${line}\n`);
}

export interface StartOptions {
  readonly policy?: string;
  /** Default: the e2e fabric. */
  readonly fabricFile?: string;
  /** Extra `kwokctl create cluster` flags, e.g. `--kube-feature-gates` and `--kube-runtime-config`. */
  readonly kwokctlArgs?: readonly string[];
  /** Phalanx reaches the API server through a link that delivers every byte this many ms late. */
  readonly apiLagMs?: number;
}

export async function startE2E(name: string, opts: StartOptions = {}): Promise<E2E> {
  // PHALANX_E2E_API_LAG_MS runs any e2e file with Phalanx's informers trailing (a robustness probe).
  const envLag = Number(process.env['PHALANX_E2E_API_LAG_MS'] ?? '');
  const apiLagMs = opts.apiLagMs ?? (envLag > 0 ? envLag : undefined);
  const timings: Record<string, number> = {};
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await fn();
    timings[label] = (Date.now() - t0) / 1000;
    log(`${name}: ${label} in ${timings[label].toFixed(1)} s`);
    return value;
  };
  // Held until Phalanx starts: kwokctl picks its control plane's ports while the cluster comes up.
  const [extenderHold, webhookHold] = [await holdFreePort(), await holdFreePort()];
  const [extenderPort, webhookPort] = [extenderHold.port, webhookHold.port];
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
  const { phalanx, phalanxUser, devicePlugin } = await runPhalanx(cluster, {
    extenderPort,
    webhookPort,
    portHolds: [extenderHold, webhookHold],
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    ...(apiLagMs === undefined ? {} : { apiLagMs }),
    step,
  });
  if (devicePlugin === undefined) throw new Error('the in-process device plugin stand-in did not start');
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    cluster,
    kc,
    core,
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    phalanx,
    phalanxUser,
    devicePlugin,
    timings,
  };
}

export interface PhalanxOptions {
  /** Where the cluster's scheduler configuration expects the extender. */
  readonly extenderPort: number;
  readonly webhookPort: number;
  /** Placeholders holding those ports, released right before Phalanx starts. */
  readonly portHolds?: readonly PortHold[];
  readonly policy?: string;
  /** Runs and times one bring-up step (default: just runs it). */
  readonly step?: <T>(label: string, fn: () => Promise<T>) => Promise<T>;
  /** Run the device-plugin stand-in as its own detached process (cluster:up) instead of in this one. */
  readonly detachedDevicePlugin?: boolean;
  /**
   * Phalanx reaches the API server through a lagging link (testbed/lagging-link.ts) run by this
   * process until stopE2E: its informers trail kube-scheduler's by this many ms.
   */
  readonly apiLagMs?: number;
}

/**
 * Runs Phalanx in an up cluster as deploy/ installs it: deploy/'s RBAC, a ServiceAccount token for
 * Phalanx, a stand-in pod for its leader label, webhook certificates, Phalanx itself (detached, its
 * log in the cluster's state directory; `cluster:down` stops it) and deploy/'s webhook registered by
 * URL. Repeatable on a reused cluster.
 */
export async function runPhalanx(
  cluster: Cluster,
  opts: PhalanxOptions,
): Promise<{
  readonly phalanx: PhalanxRunner;
  readonly phalanxUser: string;
  /** The in-process stand-in; absent when it runs detached. */
  readonly devicePlugin?: DevicePluginStandIn;
}> {
  const step = opts.step ?? (<T>(_label: string, fn: () => Promise<T>) => fn());
  const core = (() => {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    return kc.makeApiClient(CoreV1Api);
  })();
  const dir = join(cluster.stateDir, 'e2e');
  await mkdir(dir, { recursive: true });
  const saKubeconfig = join(dir, 'phalanx-sa.kubeconfig');
  const server = opts.apiLagMs === undefined ? undefined : await laggingServer(cluster, opts.apiLagMs);
  const phalanxUser = await step('deploy/ RBAC and ServiceAccount token', async () => {
    await applyReservationDeploy(cluster.kubeconfig); // its namespace first: Phalanx's Role there
    await applyPhalanxRbac(cluster.kubeconfig);
    return writeServiceAccountKubeconfig({
      adminKubeconfig: cluster.kubeconfig,
      namespace: PHALANX_NAMESPACE,
      serviceAccount: PHALANX_SERVICE_ACCOUNT,
      file: saKubeconfig,
      ...(server === undefined ? {} : { server }),
    });
  });
  await core
    .createNamespacedPod({ namespace: PHALANX_NAMESPACE, body: standInPod() })
    .catch((err: unknown) => {
      // A reused cluster has it already.
      if ((err as { code?: number }).code !== 409) throw err;
    });
  const certs = await writeWebhookCertificates(dir);
  const adminHold = await holdFreePort();
  const phalanx = phalanxRunner({
    stateDir: cluster.stateDir,
    kubeconfig: saKubeconfig,
    extenderPort: opts.extenderPort,
    adminPort: adminHold.port,
    extenderTls: cluster.extenderTls,
    webhookPort: opts.webhookPort,
    certFile: certs.certFile,
    keyFile: certs.keyFile,
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
  });
  await Promise.all([...(opts.portHolds ?? []), adminHold].map((hold) => hold.release()));
  await step('Phalanx ready', () => phalanx.start());
  await step('webhook registered', () =>
    registerWebhook(cluster.kubeconfig, DEPLOY_WEBHOOK, `https://127.0.0.1:${opts.webhookPort}`, certs.caPem),
  );
  // KWOK nodes have no device plugin: the stand-in gives devices and runs `phalanx reserve` — in this
  // process, or detached when the cluster must outlive the caller (cluster:up).
  if (opts.detachedDevicePlugin === true) {
    await step('device plugin stand-in (detached)', () => startDevicePluginProcess(cluster, dir));
    return { phalanx, phalanxUser };
  }
  const devicePlugin = await step('device plugin stand-in', () =>
    startDevicePlugin({ adminKubeconfig: cluster.kubeconfig, stateDir: dir, log }),
  );
  return { phalanx, phalanxUser, devicePlugin };
}

/** Lagging links to API servers, by cluster name; stopE2E closes its cluster's. */
const laggingLinks = new Map<string, LaggingLink>();

/** The URL of a lagging link to the cluster's API server. */
async function laggingServer(cluster: Cluster, lagMs: number): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const url = new URL(kc.getCurrentCluster()?.server ?? '');
  await laggingLinks.get(cluster.name)?.close();
  const link = await startLaggingLink({ host: url.hostname, port: Number(url.port || 443) }, lagMs);
  laggingLinks.set(cluster.name, link);
  log(`${cluster.name}: Phalanx reaches the API server ${lagMs} ms late (127.0.0.1:${link.port})`);
  return `${url.protocol}//127.0.0.1:${link.port}`;
}

async function startDevicePluginProcess(cluster: Cluster, dir: string): Promise<void> {
  const cli = join(REPO_ROOT, 'testbed/device-plugin-cli.ts');
  await startDetached({
    name: DEVICE_PLUGIN_PROCESS,
    stateDir: cluster.stateDir,
    file: 'sh',
    args: [
      '-c',
      `cd '${REPO_ROOT}' && exec '${process.execPath}' --import tsx '${cli}' --kubeconfig '${cluster.kubeconfig}' --state-dir '${dir}'`,
    ],
    env: { ...process.env },
    log: DEVICE_PLUGIN_LOG,
  });
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
// kwokctl keeps its clusters under $KWOK_WORKDIR (default ~/.kwok); a CI run sets it to stay apart from
// clusters a developer has up.
const kwokLogDir = (name: string) =>
  join(process.env['KWOK_WORKDIR'] ?? join(homedir(), '.kwok'), 'clusters', name, 'logs');
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
  await laggingLinks.get(name)?.close();
  laggingLinks.delete(name);
}

/** Creates a namespace and waits for its default ServiceAccount (pods need it to be admitted). */
export async function createNamespace(e2e: E2E, namespace: string): Promise<void> {
  await e2e.core.createNamespace({ body: { metadata: { name: namespace } } });
  await waitFor(`default ServiceAccount in ${namespace}`, () =>
    e2e.core.readNamespacedServiceAccount({ name: 'default', namespace }),
  );
}
