// Installs Kueue into the local cluster and runs its manager out of cluster (protocol.md §5.5):
// CRDs applied server-side and awaited until Established, certificates on disk (including the
// metrics pair Kueue reads from a fixed path), its Configuration, the manager process, then its
// webhook configurations by URL — registered last, once the manager serves them, because the pod
// webhook fails closed.
import { execFile } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { freePort } from '../free-port.js';
import { binaryPaths, selectedK8sVersion } from '../versions.js';
import { writeKueueCertificates, writeTlsPair } from './kueue-certs.js';
import { ensureKueue, KUEUE_VERSION } from './kueue-build.js';
import {
  KUEUE_FEATURE_GATES,
  kueueConfiguration,
  localKueueWebhooks,
  type WebhookConfigurationDoc,
} from './kueue-manifests.js';
import { KUEUE_LOG, startKueueProcess } from './kueue-process.js';

const run = promisify(execFile);

export { stopKueue } from './kueue-process.js';

/** Kueue reads its metrics certificates here whenever internal certificate management is off. */
export const KUEUE_METRICS_CERT_DIR = '/etc/kueue/metrics/certs';
const FIELD_MANAGER = 'phalanx-cluster-harness';
const WEBHOOK_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
const STEP_TIMEOUT_MS = 90_000;

export interface KueueInstallOptions {
  readonly kubeconfig: string;
  /** The cluster's state directory: Kueue's config, certificates, pid and log go there. */
  readonly stateDir: string;
  /** kubectl to apply the CRDs with; default: the one built for the selected Kubernetes version. */
  readonly kubectl?: string;
  readonly log?: (line: string) => void;
}

export interface KueueInstallation {
  readonly version: string;
  readonly webhookUrl: string;
  readonly logFile: string;
  /** Seconds each step took. */
  readonly timings: Readonly<Record<string, number>>;
}

export async function installKueue(opts: KueueInstallOptions): Promise<KueueInstallation> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[kueue] ${line}\n`));
  const timings: Record<string, number> = {};
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await fn();
    timings[label] = (Date.now() - t0) / 1000;
    log(`${label} in ${timings[label].toFixed(1)} s`);
    return value;
  };
  const paths = await step(`kueue v${KUEUE_VERSION} binary and manifests`, () => ensureKueue());
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const objects = KubernetesObjectApi.makeApiClient(kc);

  await step('CRDs applied and Established', async () => {
    // kubectl, not client-node: its typed serializer drops `x-kubernetes-*` schema keys it does not
    // map (the API server then refuses Kueue's int-or-string fields). Server-side: they are too
    // large for the last-applied annotation.
    const kubectl = opts.kubectl ?? binaryPaths(selectedK8sVersion()).kubectl;
    await run(
      kubectl,
      ['apply', '--server-side', '--force-conflicts', '--field-manager', FIELD_MANAGER, '-f', paths.crds],
      {
        env: { ...process.env, KUBECONFIG: opts.kubeconfig },
        timeout: STEP_TIMEOUT_MS,
        maxBuffer: 16 << 20,
      },
    );
    const crds = documents(await readFile(paths.crds, 'utf8'));
    const api = kc.makeApiClient(ApiextensionsV1Api);
    for (const crd of crds) await waitEstablished(api, crd.metadata?.name ?? '');
  });
  await ensureNamespace(kc.makeApiClient(CoreV1Api), 'kueue-system');

  const dir = join(opts.stateDir, 'kueue');
  const certs = await writeKueueCertificates(join(dir, 'certs'));
  await ensureMetricsCertificates(certs.certPem, certs.keyPem);
  const [webhookPort, healthPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, stringify(kueueConfiguration({ webhookPort, healthPort, certDir: certs.dir })));

  const logFile = join(opts.stateDir, KUEUE_LOG);
  await step('manager ready', async () => {
    const pid = await startKueueProcess({
      binary: paths.binary,
      args: ['--config', configFile, `--feature-gates=${KUEUE_FEATURE_GATES}`],
      kubeconfig: opts.kubeconfig,
      stateDir: opts.stateDir,
    });
    log(`manager started (pid ${pid}), log ${logFile}`);
    await poll('Kueue /readyz', logFile, async () => {
      const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    });
  });

  const webhookUrl = `https://127.0.0.1:${webhookPort}`;
  await step('webhooks registered and answering', async () => {
    const configs = documents(await readFile(paths.webhooks, 'utf8')).filter((d) =>
      WEBHOOK_KINDS.has(d.kind ?? ''),
    ) as WebhookConfigurationDoc[];
    for (const config of configs) {
      await serverSideApply(objects, localKueueWebhooks(config, webhookUrl, certs.caPem));
    }
    // A dry-run create passes through Kueue's ResourceFlavor webhooks: proof the API server reaches them.
    const custom = kc.makeApiClient(CustomObjectsApi);
    await poll('a dry-run ResourceFlavor through Kueue webhooks', logFile, async () => {
      await custom.createClusterCustomObject({
        group: 'kueue.x-k8s.io',
        version: 'v1beta2',
        plural: 'resourceflavors',
        dryRun: 'All',
        body: {
          apiVersion: 'kueue.x-k8s.io/v1beta2',
          kind: 'ResourceFlavor',
          metadata: { name: 'phalanx-webhook-probe' },
        },
      });
      return true;
    });
  });
  return { version: KUEUE_VERSION, webhookUrl, logFile, timings };
}

function documents(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((d): d is KubernetesObject => d !== null && typeof d === 'object' && d.kind !== undefined);
}

async function serverSideApply(api: KubernetesObjectApi, body: KubernetesObject): Promise<void> {
  await api.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

async function waitEstablished(api: ApiextensionsV1Api, name: string): Promise<void> {
  await poll(`CRD ${name} Established`, undefined, async () => {
    const crd = await api.readCustomResourceDefinition({ name });
    const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    return established ? true : undefined;
  });
}

async function ensureNamespace(core: CoreV1Api, name: string): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name } } });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
  }
}

/**
 * Kueue v0.17 opens tls.crt/tls.key in a fixed directory at start-up (cmd/kueue/main.go), even with
 * metrics off; it exits without them. A present pair is kept; otherwise ours is written (needs
 * write access to /etc, as root on the CI machine).
 */
async function ensureMetricsCertificates(certPem: string, keyPem: string): Promise<void> {
  const present = await access(join(KUEUE_METRICS_CERT_DIR, 'tls.key')).then(
    () => true,
    () => false,
  );
  if (present) return;
  await writeTlsPair(KUEUE_METRICS_CERT_DIR, certPem, keyPem).catch((err: unknown) => {
    throw new Error(
      `Kueue needs a certificate pair in ${KUEUE_METRICS_CERT_DIR} and it could not be written ` +
        `(${err instanceof Error ? err.message : String(err)}); create it once as root`,
    );
  });
}

async function poll<T>(
  what: string,
  logFile: string | undefined,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const tail = logFile ? await logTail(logFile) : '';
      const error = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}${error}${tail}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function logTail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text ? `\n--- ${file} (tail)\n${text.trimEnd().split('\n').slice(-15).join('\n')}` : '';
}
