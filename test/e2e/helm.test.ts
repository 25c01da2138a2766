// Issue 21: both install paths into the local cluster, one after the other. `kubectl apply
// --server-side -k` of an overlay that sets the image (as deploy/README.md tells users to) is
// accepted by the real API server, then the Helm chart is installed with `helm install`; after each,
// the objects the API server holds carry what the e2e suite runs: the scheduler configuration the
// cluster's scheduler was started with, deploy/'s webhook rules, and deploy/'s Phalanx RBAC. The
// cluster has no Phalanx (only the objects are checked; no GPU pod is created while the webhook
// points at a Service without endpoints).
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { clusterDown, clusterUp, type Cluster } from '../../testbed/cluster.js';
import { deployObjects, PHALANX_NAMESPACE, phalanxRbac } from '../../testbed/deploy-rbac.js';
import { freePort } from '../../testbed/free-port.js';
import { DEPLOY_WEBHOOK, E2E_FABRIC, log } from '../../testbed/environment.js';
import { CHART_DIR, helm, missingTools } from '../../testbed/helm/render.js';
import { localSchedulerConfig } from '../../testbed/scheduler-config.js';
import { binaryPaths, REPO_ROOT, selectedK8sVersion } from '../../testbed/versions.js';
import { waitFor } from '../../testbed/wait.js';

const run = promisify(execFile);
const CLUSTER = 'phalanx-e2e-install';
const IMAGE = { name: 'registry.example.com/phalanx', tag: 'e2e-1' };
const missing = await missingTools();

interface Api {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  readonly admission: AdmissionregistrationV1Api;
}
let cluster: Cluster;
let extenderPort: number;
let api: Api;

const kubectl = (args: readonly string[]) =>
  run(binaryPaths(selectedK8sVersion()).kubectl, ['--kubeconfig', cluster.kubeconfig, ...args], {
    cwd: REPO_ROOT,
    timeout: 180_000,
    maxBuffer: 16 << 20,
  }).then((r) => r.stdout);

/** The Phalanx container's image of the installed Deployment. */
async function phalanxImage(): Promise<string | undefined> {
  const d: V1Deployment = await api.apps.readNamespacedDeployment({
    name: 'phalanx',
    namespace: PHALANX_NAMESPACE,
  });
  return d.spec?.template.spec?.containers.find((c) => c.name === 'phalanx')?.image;
}

/** The installed objects carry what the e2e suite runs. */
async function expectWhatTheSuiteRuns(): Promise<void> {
  // Scheduler: the installed ConfigMap, made local the way the test bed does it, is the file the
  // cluster's kube-scheduler was started with.
  const maps = await api.core.listNamespacedConfigMap({
    namespace: PHALANX_NAMESPACE,
    labelSelector: 'app.kubernetes.io/name=phalanx-scheduler',
  });
  expect(maps.items).toHaveLength(1);
  const installed = maps.items[0]?.data?.['config.yaml'] ?? '';
  const tls = cluster.extenderTls;
  expect(
    localSchedulerConfig(installed, `https://127.0.0.1:${extenderPort}`, {
      certFile: tls.clientCertFile,
      keyFile: tls.clientKeyFile,
      caFile: tls.caFile,
    }),
  ).toBe(await readFile(join(cluster.stateDir, 'kube-scheduler-config.yaml'), 'utf8'));
  // The scheduler Deployment mounts that ConfigMap.
  const scheduler = await api.apps.readNamespacedDeployment({
    name: 'phalanx-scheduler',
    namespace: PHALANX_NAMESPACE,
  });
  const volumes = scheduler.spec?.template.spec?.volumes ?? [];
  expect(volumes.map((v) => v.configMap?.name).filter(Boolean)).toEqual([maps.items[0]?.metadata?.name]);

  // Webhook: deploy/'s rules (the e2e suite registers the same file by URL), called through the Service.
  const shipped = parse(await readFile(DEPLOY_WEBHOOK, 'utf8')) as { webhooks: Record<string, unknown>[] };
  const webhook = await api.admission.readMutatingWebhookConfiguration({ name: 'phalanx' });
  expect(webhook.webhooks).toMatchObject(
    shipped.webhooks.map(({ clientConfig, ...rest }) => {
      const { caBundle: _filledLater, ...service } = clientConfig as Record<string, unknown>;
      return { ...rest, clientConfig: service };
    }),
  );

  // RBAC: every role the e2e suite grants Phalanx's ServiceAccount, rule for rule.
  const roles = phalanxRbac(await deployObjects()).filter(
    (o) => o.kind === 'ClusterRole' || o.kind === 'Role',
  );
  expect(roles.length).toBeGreaterThan(1);
  for (const role of roles) {
    const name = role.metadata?.name ?? '';
    const live =
      role.kind === 'ClusterRole'
        ? await api.rbac.readClusterRole({ name })
        : await api.rbac.readNamespacedRole({ name, namespace: role.metadata?.namespace ?? '' });
    expect(JSON.parse(JSON.stringify(live.rules)), `${role.kind} ${name}`).toEqual(
      (role as { rules?: unknown }).rules,
    );
  }
}

async function namespaceGone(): Promise<void> {
  await waitFor(
    `namespace ${PHALANX_NAMESPACE} deleted`,
    () =>
      api.core.readNamespace({ name: PHALANX_NAMESPACE }).then(
        () => undefined,
        (err: unknown) => ((err as { code?: number }).code === 404 ? true : undefined),
      ),
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
}

describe.skipIf(missing.length > 0)(
  `installing deploy/ into the local cluster (Kubernetes v${selectedK8sVersion()})${missing.length > 0 ? ` — skipped, not built: ${missing.join(', ')}` : ''}`,
  () => {
    beforeAll(async () => {
      extenderPort = await freePort();
      cluster = await clusterUp({
        name: CLUSTER,
        fabricFile: E2E_FABRIC,
        extenderPort,
        log: (l) => log(`${CLUSTER}: ${l}`),
      });
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      api = {
        core: kc.makeApiClient(CoreV1Api),
        apps: kc.makeApiClient(AppsV1Api),
        rbac: kc.makeApiClient(RbacAuthorizationV1Api),
        admission: kc.makeApiClient(AdmissionregistrationV1Api),
      };
    });
    afterAll(() => clusterDown(CLUSTER));

    it('accepts kubectl apply --server-side -k of deploy/ with the image set by a kustomize override', async () => {
      // A user's overlay, as deploy/README.md describes it (in the ignored .cluster/ directory).
      const overlay = join(cluster.stateDir, 'my-phalanx');
      await rm(overlay, { recursive: true, force: true });
      await mkdir(overlay, { recursive: true });
      await writeFile(
        join(overlay, 'kustomization.yaml'),
        [
          'apiVersion: kustomize.config.k8s.io/v1beta1',
          'kind: Kustomization',
          'resources:',
          `  - ${relative(overlay, join(REPO_ROOT, 'deploy'))}`,
          'images:',
          '  - name: phalanx',
          `    newName: ${IMAGE.name}`,
          `    newTag: ${IMAGE.tag}`,
          '',
        ].join('\n'),
      );
      const out = await kubectl(['apply', '--server-side', '-k', overlay]);
      const lines = out.trim().split('\n');
      expect(lines.length).toBeGreaterThan(20);
      for (const line of lines) expect(line).toMatch(/ serverside-applied$/);
      expect(await phalanxImage()).toBe(`${IMAGE.name}:${IMAGE.tag}`);
      await expectWhatTheSuiteRuns();
      await kubectl(['delete', '-k', overlay, '--wait=false']);
      await namespaceGone();
    });

    it('installs the Helm chart with helm install: the release is deployed and holds the same objects', async () => {
      const args = ['--kubeconfig', cluster.kubeconfig];
      await helm([
        'install',
        'phalanx',
        CHART_DIR,
        ...args,
        '--namespace',
        'default',
        '--set',
        `image.repository=${IMAGE.name}`,
        '--set',
        `image.tag=${IMAGE.tag}`,
        '--timeout',
        '3m',
      ]);
      const status = JSON.parse(
        await helm(['status', 'phalanx', ...args, '--namespace', 'default', '-o', 'json']),
      ) as {
        info: { status: string };
        manifest?: string;
      };
      expect(status.info.status).toBe('deployed');
      // Every object of the release exists in the cluster.
      const manifest = await helm(['get', 'manifest', 'phalanx', ...args, '--namespace', 'default']);
      const objects = parseAllDocuments(manifest)
        .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null)
        .filter((o) => o?.kind !== undefined);
      expect(objects.length).toBeGreaterThan(20);
      for (const o of objects) {
        const ns = o?.metadata?.namespace === undefined ? [] : ['-n', o.metadata.namespace];
        await kubectl(['get', `${o?.kind ?? ''}/${o?.metadata?.name ?? ''}`, ...ns, '-o', 'name']);
      }
      expect(await phalanxImage()).toBe(`${IMAGE.name}:${IMAGE.tag}`);
      await expectWhatTheSuiteRuns();
      await helm(['uninstall', 'phalanx', ...args, '--namespace', 'default', '--wait', '--timeout', '3m']);
      await expect(api.admission.readMutatingWebhookConfiguration({ name: 'phalanx' })).rejects.toMatchObject(
        {
          code: 404,
        },
      );
    });
  },
);
