// The local cluster with Phalanx running from the built image instead of the working tree: the same
// steps as environment.ts runPhalanx (deploy/'s RBAC, a TokenRequest token of the shipped
// ServiceAccount, the stand-in pod the leader labels, webhook certificate files, deploy/'s webhook
// registered by URL, the device-plugin stand-in), but the process is the image's own entrypoint,
// started by `buildah run` as the image's user with the cluster's state directory mounted read-only
// at the same path (so the configuration's file paths hold inside the container).
import { chmod, chown, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { clusterUp, type Cluster } from '../cluster.js';
import { applyPhalanxRbac, PHALANX_NAMESPACE, PHALANX_SERVICE_ACCOUNT } from '../deploy-rbac.js';
import { applyReservationDeploy, startDevicePlugin, type DevicePluginStandIn } from '../device-plugin.js';
import { freePort } from '../free-port.js';
import { DEPLOY_WEBHOOK, E2E_FABRIC, log, standInPod } from '../environment.js';
import { PHALANX_LOG, startPhalanx, stopPhalanx } from '../phalanx-process.js';
import { e2eConfig } from '../phalanx-runner.js';
import { writeServiceAccountKubeconfig } from '../sa-kubeconfig.js';
import { waitFor } from '../wait.js';
import { registerWebhook } from '../webhook-registration.js';
import { writeWebhookCertificates } from '../webhook-certs.js';
import { containerFromArchive, type ImageContainer } from './buildah.js';

export interface ImageE2E {
  readonly cluster: Cluster;
  readonly core: CoreV1Api;
  readonly batch: BatchV1Api;
  readonly container: ImageContainer;
  readonly adminUrl: string;
  /** The configuration file the image's process was started with (inside and outside alike). */
  readonly configFile: string;
  /** When the image's process was started (ms since the epoch), for the read-only root check. */
  readonly startedAt: number;
  readonly devicePlugin: DevicePluginStandIn;
  readonly logFile: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 180_000;
/** Where the container sees its configuration, token and certificates (like the Deployment's mounts). */
const VOLUME_PATH = '/etc/phalanx';

/** The kubeconfig with the API server's CA inlined: the container cannot read the host's file. */
async function selfContained(kubeconfig: string): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const clusters = await Promise.all(
    kc
      .getClusters()
      .map(async (c) =>
        c.caFile === undefined
          ? c
          : { ...c, caFile: undefined, caData: (await readFile(c.caFile)).toString('base64') },
      ),
  );
  const inline = new KubeConfig();
  inline.loadFromOptions({
    clusters,
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return inline.exportConfig();
}

/** Copies files into a fresh directory owned by `user` ("uid:gid"), readable by it alone. */
async function podVolume(
  dir: string,
  user: string,
  files: Readonly<Record<string, string>>,
): Promise<string> {
  const [uid, gid] = user.split(':').map(Number);
  if (uid === undefined || gid === undefined || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`image user ${JSON.stringify(user)}: expected numeric uid:gid`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const [name, from] of Object.entries(files)) {
    await copyFile(from, join(dir, name));
    await chmod(join(dir, name), 0o400);
    await chown(join(dir, name), uid, gid);
  }
  await chown(dir, uid, gid);
  return dir;
}

export async function startImageE2E(name: string): Promise<ImageE2E> {
  const [extenderPort, webhookPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const cluster = await clusterUp({
    name,
    fabricFile: E2E_FABRIC,
    extenderPort,
    log: (l) => log(`${name}: ${l}`),
  });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const dir = join(cluster.stateDir, 'e2e');
  await mkdir(dir, { recursive: true });
  await applyReservationDeploy(cluster.kubeconfig);
  await applyPhalanxRbac(cluster.kubeconfig);
  const saKubeconfig = join(dir, 'phalanx-sa.kubeconfig');
  await writeServiceAccountKubeconfig({
    adminKubeconfig: cluster.kubeconfig,
    namespace: PHALANX_NAMESPACE,
    serviceAccount: PHALANX_SERVICE_ACCOUNT,
    file: saKubeconfig,
  });
  await core
    .createNamespacedPod({ namespace: PHALANX_NAMESPACE, body: standInPod() })
    .catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err; // a reused cluster has it
    });
  const certs = await writeWebhookCertificates(dir);
  const container = await containerFromArchive(`phalanx-e2e-${name}`);
  // What a pod gets from its Secret and token volumes: the files, owned by the container's user.
  const containerKubeconfig = join(dir, 'phalanx-sa.inline.kubeconfig');
  await writeFile(containerKubeconfig, await selfContained(saKubeconfig), { mode: 0o600 });
  const volume = await podVolume(join(dir, 'image-volume'), container.config.user, {
    'token.kubeconfig': containerKubeconfig,
    'webhook.crt': certs.certFile,
    'webhook.key': certs.keyFile,
    'extender.crt': cluster.extenderTls.serverCertFile,
    'extender.key': cluster.extenderTls.serverKeyFile,
    'extender-ca.crt': cluster.extenderTls.caFile,
  });
  const inside = (file: string) => join(VOLUME_PATH, file);
  const config = await e2eConfig({
    stateDir: cluster.stateDir,
    kubeconfig: inside('token.kubeconfig'),
    extenderPort,
    adminPort,
    webhookPort,
    certFile: inside('webhook.crt'),
    keyFile: inside('webhook.key'),
    extenderTls: {
      ...cluster.extenderTls,
      serverCertFile: inside('extender.crt'),
      serverKeyFile: inside('extender.key'),
      caFile: inside('extender-ca.crt'),
    },
  });
  await writeFile(join(volume, 'config.yaml'), stringify(config));
  const configFile = inside('config.yaml');

  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const logFile = join(cluster.stateDir, PHALANX_LOG);
  // The image's CMD is `serve`; the Deployment passes `serve --config <file>` the same way.
  const command = container.commandLine(['serve', '--config', configFile], [`${volume}:${VOLUME_PATH}:ro`]);
  const startedAt = Date.now();
  await startPhalanx({
    command: `exec ${command.map((a) => `'${a}'`).join(' ')}`,
    kubeconfig: saKubeconfig,
    stateDir: cluster.stateDir,
  });
  await waitFor(
    `Phalanx from the image: /readyz on ${adminUrl}`,
    async () =>
      (await fetch(`${adminUrl}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined,
    {
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 500,
      describe: async () =>
        (await readFile(logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-15).join('\n'),
    },
  );
  await registerWebhook(cluster.kubeconfig, DEPLOY_WEBHOOK, `https://127.0.0.1:${webhookPort}`, certs.caPem);
  const devicePlugin = await startDevicePlugin({ adminKubeconfig: cluster.kubeconfig, stateDir: dir, log });
  return {
    cluster,
    core,
    batch: kc.makeApiClient(BatchV1Api),
    container,
    adminUrl,
    configFile,
    startedAt,
    devicePlugin,
    logFile,
    async stop() {
      await devicePlugin.stop();
      await stopPhalanx(cluster.stateDir);
    },
  };
}
