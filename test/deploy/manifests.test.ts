// Structural facts about what deploy/ ships, checked without a cluster: hardening, least-privilege
// RBAC, the extender contract in the scheduler configuration, the webhook's exclusions, pinned images,
// and that names which must agree across files (ports, ConfigMaps, Leases, labels) do.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { DEFAULT_SCHEDULER_NAME, LEADER_POD_LABEL, NodeLabel, Resource } from '../../src/core/names.js';
import { SUPPORTED_K8S_VERSIONS } from '../../testbed/versions.js';

type Obj = Record<string, unknown>;

const REPO = join(import.meta.dirname, '../..');
const DEPLOY = join(REPO, 'deploy');

/** The Helm chart: Go templates over these same files (test/deploy/helm-agreement.test.ts). */
const HELM_CHART = join(DEPLOY, 'helm');

/** Every *.yaml under deploy/ (the chart excepted), as repo-relative path → documents. */
function yamlFiles(dir: string): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.yaml')) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.startsWith(`${HELM_CHART}/`)) continue;
    const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
      return doc.toJS() as Obj;
    });
    out.set(relative(REPO, path), docs);
  }
  return out;
}

const files = yamlFiles(DEPLOY);

function file(path: string): Obj[] {
  const docs = files.get(path);
  if (!docs) throw new Error(`${path} is missing`);
  return docs;
}

/** Kubernetes objects only (kustomizations, configuration files and the kind config excluded). */
const NOT_OBJECTS = new Set([
  'deploy/phalanx/config.yaml',
  'deploy/overlays/cert-manager/config.yaml',
  'deploy/scheduler/kube-scheduler-config.yaml',
  'deploy/kind/cluster.yaml',
]);
const objects: { path: string; obj: Obj }[] = [...files].flatMap(([path, docs]) =>
  NOT_OBJECTS.has(path) || path.endsWith('kustomization.yaml') ? [] : docs.map((obj) => ({ path, obj })),
);

function find(kind: string, name: string, namespace?: string): Obj {
  const hit = objects.find(({ obj }) => {
    const meta = obj['metadata'] as Obj | undefined;
    return obj['kind'] === kind && meta?.['name'] === name && meta['namespace'] === namespace;
  });
  if (!hit) throw new Error(`no ${kind} ${namespace ?? ''}/${name} under deploy/`);
  return hit.obj;
}

const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

/** Rules flattened to "group/resource[name]:verb" strings, so grants compare as sets. */
function grants(role: Obj): string[] {
  return (role['rules'] as Rule[]).flatMap((r) =>
    (r.apiGroups ?? []).flatMap((g) =>
      (r.resources ?? []).flatMap((res) =>
        (r.verbs ?? []).flatMap((verb) =>
          (r.resourceNames ?? ['']).map((n) => `${g}/${res}${n ? `[${n}]` : ''}:${verb}`),
        ),
      ),
    ),
  );
}

/** "30s", "1m", "500ms" → milliseconds (the subset of Go durations used here). */
function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`not a simple duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

const phalanx = find('Deployment', 'phalanx', 'phalanx-system');
const scheduler = find('Deployment', 'phalanx-scheduler', 'phalanx-system');
const podSpec = (d: Obj): Obj => at(d, 'spec', 'template', 'spec') as Obj;
const container = (d: Obj): Obj => (podSpec(d)['containers'] as Obj[])[0] as Obj;
const schedulerConfig = file('deploy/scheduler/kube-scheduler-config.yaml')[0] as Obj;
const extender = (schedulerConfig['extenders'] as Obj[])[0] as Obj;
const shippedConfig = loadConfig({ file: join(DEPLOY, 'phalanx/config.yaml'), env: {} });

describe('deploy/ files', () => {
  it('parse, and every manifest is reached from a kustomization', () => {
    expect(files.size).toBeGreaterThan(15);
    const referenced = new Set<string>();
    for (const [path, docs] of files) {
      if (!path.endsWith('kustomization.yaml')) continue;
      const dir = path.slice(0, -'kustomization.yaml'.length);
      for (const r of ((docs[0] as Obj)['resources'] as string[] | undefined) ?? []) {
        referenced.add(join(dir, r));
      }
    }
    const orphans = [...new Set(objects.map((o) => o.path))].filter(
      (p) => !referenced.has(p) && !p.startsWith('deploy/kind/'),
    );
    expect(orphans).toEqual([]);
  });

  it('the root kustomization and both overlays include the same components', () => {
    const base = (file('deploy/kustomization.yaml')[0] as Obj)['resources'] as string[];
    expect(base).toEqual(['phalanx', 'scheduler', 'webhook', 'reservations', 'autoscaling']);
    for (const overlay of ['cert-manager', 'prometheus-operator']) {
      const resources = (file(`deploy/overlays/${overlay}/kustomization.yaml`)[0] as Obj)[
        'resources'
      ] as string[];
      expect(resources.filter((r) => r.startsWith('../../'))).toEqual(base.map((b) => `../../${b}`));
    }
  });

  it('pins every image to a version (no latest, no bare names)', () => {
    const images = objects.flatMap(({ obj }) =>
      [
        ...((at(obj, 'spec', 'template', 'spec', 'containers') as Obj[] | undefined) ?? []),
        ...((at(obj, 'spec', 'containers') as Obj[] | undefined) ?? []),
      ].map((c) => c['image'] as string),
    );
    const kindImages = (file('deploy/kind/cluster.yaml')[0]?.['nodes'] as Obj[]).map(
      (n) => n['image'] as string,
    );
    expect(images.length).toBeGreaterThanOrEqual(4);
    for (const image of [...images, ...kindImages]) {
      expect(image).toMatch(/^[^:@]+:v?\d[\w.-]*(@sha256:[0-9a-f]{64})?$/);
      expect(image).not.toMatch(/:latest\b/);
    }
    const froms = readFileSync(join(REPO, 'Dockerfile'), 'utf8').match(/^FROM .*$/gm) ?? [];
    expect(froms).toHaveLength(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:\$\{NODE_VERSION\}-[\w-]+ AS \w+$/);
    expect(readFileSync(join(REPO, 'Dockerfile'), 'utf8')).toMatch(/^ARG NODE_VERSION=24\.\d+\.\d+$/m);
  });
});

describe('Phalanx Deployment', () => {
  it('runs two leader-elected replicas of the image built from this version', () => {
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(at(phalanx, 'spec', 'replicas')).toBe(2);
    expect(container(phalanx)['image']).toBe(`phalanx:${version}`);
    expect(shippedConfig.leaderElection).toMatchObject({
      enabled: true,
      namespace: 'phalanx-system',
      leaseName: 'phalanx',
    });
    expect(container(phalanx)['env']).toContainEqual({
      name: 'PHALANX_POD_NAME',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(container(phalanx)['env']).toContainEqual({
      name: 'PHALANX_POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
  });

  it('keeps a replica available through rollouts, since every synced replica is Ready', () => {
    expect(at(phalanx, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
    expect(at(find('PodDisruptionBudget', 'phalanx', 'phalanx-system'), 'spec', 'minAvailable')).toBe(1);
  });

  it.each([
    ['phalanx', phalanx],
    ['phalanx-scheduler', scheduler],
  ])('%s runs as non-root on a read-only root filesystem with no capabilities', (_name, deployment) => {
    expect(podSpec(deployment)['securityContext']).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect((podSpec(deployment)['securityContext'] as Obj)['runAsUser']).toBeGreaterThan(0);
    expect(container(deployment)['securityContext']).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(at(container(deployment), 'resources', 'requests')).toBeDefined();
    expect(at(container(deployment), 'resources', 'limits', 'memory')).toBeDefined();
  });

  it('is Ready through /readyz (synced) and live through /healthz, both on the admin port', () => {
    const c = container(phalanx);
    expect(at(c, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'admin' });
    expect(at(c, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'admin' });
  });

  it('listens where the config says and the Services point', () => {
    const ports: Obj = Object.fromEntries(
      (container(phalanx)['ports'] as Obj[]).map((p) => [p['name'] as string, p['containerPort']]),
    );
    expect(ports).toEqual({
      extender: shippedConfig.extender.port,
      webhook: shippedConfig.webhook.port,
      admin: shippedConfig.admin.port,
    });
    expect(ports).toEqual({ extender: 8888, webhook: 8443, admin: 9090 });
    const podLabels = at(phalanx, 'spec', 'template', 'metadata', 'labels') as Obj;
    const matchLabels = at(phalanx, 'spec', 'selector', 'matchLabels') as Obj;
    for (const [name, port] of [
      ['phalanx', 8888],
      ['phalanx-webhook', 443],
    ] as const) {
      const svc = find('Service', name, 'phalanx-system');
      // The Deployment's pods, narrowed to the one the leader labels.
      const selector = at(svc, 'spec', 'selector') as Obj;
      expect(selector).toEqual({ ...matchLabels, [LEADER_POD_LABEL]: 'true' });
      expect({ ...podLabels, [LEADER_POD_LABEL]: 'true' }).toMatchObject(selector);
      expect((at(svc, 'spec', 'ports') as Obj[])[0]).toMatchObject({ port });
    }
    expect(at(find('Service', 'phalanx-webhook', 'phalanx-system'), 'spec', 'ports', 0, 'targetPort')).toBe(
      'webhook',
    );
    const pdb = find('PodDisruptionBudget', 'phalanx', 'phalanx-system');
    expect(podLabels).toMatchObject(at(pdb, 'spec', 'selector', 'matchLabels') as Obj);
    expect(at(pdb, 'spec', 'unhealthyPodEvictionPolicy')).toBe('AlwaysAllow');
  });

  it('advertises metrics for scraping on the admin port, as the PodMonitor scrapes them', () => {
    expect(at(phalanx, 'spec', 'template', 'metadata', 'annotations')).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(shippedConfig.admin.port),
      'prometheus.io/path': '/metrics',
    });
    const monitor = find('PodMonitor', 'phalanx', 'phalanx-system');
    expect(at(monitor, 'spec', 'podMetricsEndpoints')).toEqual([
      { port: 'admin', path: '/metrics', interval: '30s' },
    ]);
    expect(at(monitor, 'spec', 'selector', 'matchLabels')).toEqual(
      at(phalanx, 'spec', 'selector', 'matchLabels'),
    );
  });

  it('serves the extender over mutual TLS with the files of the Secret it mounts', () => {
    const dir = '/var/run/phalanx/extender-tls';
    expect(shippedConfig.extender.plainHttp).toBe(false);
    expect(shippedConfig.extender.tls).toEqual({
      certFile: `${dir}/tls.crt`,
      keyFile: `${dir}/tls.key`,
      clientCaFile: `${dir}/ca.crt`,
    });
    expect(container(phalanx)['volumeMounts']).toContainEqual({
      name: 'extender-tls',
      mountPath: dir,
      readOnly: true,
    });
    expect(podSpec(phalanx)['volumes']).toContainEqual({
      name: 'extender-tls',
      secret: { secretName: 'phalanx-extender-tls' },
    });
  });

  it('reads the generated ConfigMap at the path its arguments name', () => {
    const c = container(phalanx);
    expect(c['args']).toEqual(['serve', '--config', '/etc/phalanx/config.yaml']);
    expect(c['volumeMounts']).toContainEqual({ name: 'config', mountPath: '/etc/phalanx', readOnly: true });
    expect(podSpec(phalanx)['volumes']).toContainEqual({
      name: 'config',
      configMap: { name: 'phalanx-config' },
    });
    const generator = (
      (file('deploy/phalanx/kustomization.yaml')[0] as Obj)['configMapGenerator'] as Obj[]
    )[0];
    expect(generator).toMatchObject({
      name: 'phalanx-config',
      namespace: 'phalanx-system',
      files: ['config.yaml'],
    });
  });

  it('ships a configuration the service accepts, whose bind barrier fits inside the scheduler timeout', () => {
    expect(shippedConfig.schedulerName).toBe(DEFAULT_SCHEDULER_NAME);
    expect(shippedConfig.webhook.configurationName).toBe('phalanx');
    expect(shippedConfig.webhook.tls).toBeUndefined();
    expect(shippedConfig.webhook.trustedUsernames).toEqual(['system:serviceaccount:phalanx-system:phalanx']);
    expect(shippedConfig.timeouts.bindBarrierMs).toBe(25_000);
  });

  it('every port a probe, Service, PodMonitor or NetworkPolicy names is a container port', () => {
    const named = new Set((container(phalanx)['ports'] as Obj[]).map((p) => p['name'] as string));
    const numbers = new Set((container(phalanx)['ports'] as Obj[]).map((p) => p['containerPort'] as number));
    const known = (port: unknown): boolean =>
      typeof port === 'number' ? numbers.has(port) : named.has(port as string);
    const referenced: unknown[] = [
      at(container(phalanx), 'readinessProbe', 'httpGet', 'port'),
      at(container(phalanx), 'livenessProbe', 'httpGet', 'port'),
      Number(at(phalanx, 'spec', 'template', 'metadata', 'annotations', 'prometheus.io/port')),
      ...['phalanx', 'phalanx-webhook'].map((n) =>
        at(find('Service', n, 'phalanx-system'), 'spec', 'ports', 0, 'targetPort'),
      ),
      ...(at(find('PodMonitor', 'phalanx', 'phalanx-system'), 'spec', 'podMetricsEndpoints') as Obj[]).map(
        (e) => e['port'],
      ),
      ...(at(find('NetworkPolicy', 'phalanx', 'phalanx-system'), 'spec', 'ingress') as Obj[]).flatMap(
        (rule) => (rule['ports'] as Obj[]).map((p) => p['port']),
      ),
    ];
    expect(referenced).toHaveLength(9);
    expect(referenced.filter((p) => !known(p))).toEqual([]);
    // The scheduler reaches the extender through the Service's port.
    expect(extender['urlPrefix']).toBe(
      `https://phalanx.phalanx-system.svc:${at(find('Service', 'phalanx', 'phalanx-system'), 'spec', 'ports', 0, 'port') as number}`,
    );
  });

  it('the cert-manager overlay takes away the caBundle patch right and the certificate Secret role', () => {
    const kustomization = file('deploy/overlays/cert-manager/kustomization.yaml')[0] as Obj;
    const patches = kustomization['patches'] as { target: Obj; patch: string }[];
    const clusterRolePatch = patches.find((p) => p.target['kind'] === 'ClusterRole');
    const ops = parse(clusterRolePatch?.patch ?? '[]') as { op: string; path: string; value?: string }[];
    const test = ops.find((o) => o.op === 'test');
    const index = Number(/^\/rules\/(\d+)\//.exec(test?.path ?? '')?.[1]);
    const rules = find('ClusterRole', 'phalanx')['rules'] as Rule[];
    // The index the overlay removes is the webhook-configuration rule of the base ClusterRole.
    expect(rules[index]?.resources).toEqual(['mutatingwebhookconfigurations']);
    expect(ops).toContainEqual({ op: 'remove', path: `/rules/${index}` });
    const deleted = patches.filter((p) => p.patch.includes('$patch: delete')).map((p) => p.target['kind']);
    expect(deleted.sort()).toEqual(['Role', 'RoleBinding']);
  });

  it('the cert-manager overlay differs from the base configuration only in webhook TLS', () => {
    const overlay = loadConfig({ file: join(DEPLOY, 'overlays/cert-manager/config.yaml'), env: {} });
    expect(overlay.webhook.tls).toEqual({
      certFile: '/var/run/phalanx/webhook-tls/tls.crt',
      keyFile: '/var/run/phalanx/webhook-tls/tls.key',
    });
    const { webhook: _w1, ...restOverlay } = overlay;
    const { webhook: _w2, ...restBase } = shippedConfig;
    expect(restOverlay).toEqual(restBase);
    const certificate = find('Certificate', 'phalanx-webhook', 'phalanx-system');
    expect(at(certificate, 'spec', 'secretName')).toBe('phalanx-webhook-tls');
    expect(at(certificate, 'spec', 'dnsNames')).toContain('phalanx-webhook.phalanx-system.svc');
  });

  it('the cert-manager overlay issues both sides of the extender TLS from one CA of their own', () => {
    const ca = find('Certificate', 'phalanx-extender-ca', 'phalanx-system');
    expect(at(ca, 'spec', 'isCA')).toBe(true);
    const issuer = find('Issuer', 'phalanx-extender-ca', 'phalanx-system');
    expect(at(issuer, 'spec', 'ca', 'secretName')).toBe(at(ca, 'spec', 'secretName'));
    const server = find('Certificate', 'phalanx-extender', 'phalanx-system');
    const client = find('Certificate', 'phalanx-scheduler-extender-client', 'phalanx-system');
    for (const cert of [server, client]) {
      expect(at(cert, 'spec', 'issuerRef')).toEqual({ kind: 'Issuer', name: 'phalanx-extender-ca' });
    }
    // The Secrets the Deployments mount.
    expect(at(server, 'spec', 'secretName')).toBe('phalanx-extender-tls');
    expect(at(client, 'spec', 'secretName')).toBe('phalanx-scheduler-extender-client');
    expect(at(server, 'spec', 'usages')).toContain('server auth');
    expect(at(client, 'spec', 'usages')).toContain('client auth');
    // The name the scheduler's urlPrefix uses.
    const host = new URL(extender['urlPrefix'] as string).hostname;
    expect(at(server, 'spec', 'dnsNames')).toContain(host);
  });
});

describe('RBAC', () => {
  const roles = objects.filter(({ obj }) => obj['kind'] === 'ClusterRole' || obj['kind'] === 'Role');

  it('grants Phalanx exactly the calls its code makes, cluster-wide', () => {
    expect(grants(find('ClusterRole', 'phalanx')).sort()).toEqual(
      [
        '/nodes:list',
        '/nodes:watch',
        '/nodes/status:patch',
        '/pods:get',
        '/pods:list',
        '/pods:watch',
        '/pods:patch',
        '/pods:delete',
        '/pods/status:patch',
        '/pods/eviction:create',
        'policy/poddisruptionbudgets:list',
        '/pods/binding:create',
        '/events:create',
        '/events:patch',
        '/events:list',
        'batch/jobs:get',
        'scheduling.x-k8s.io/podgroups:get',
        'scheduling.k8s.io/podgroups:get',
        'kueue.x-k8s.io/clusterqueues:list',
        'admissionregistration.k8s.io/mutatingwebhookconfigurations[phalanx]:get',
        'admissionregistration.k8s.io/mutatingwebhookconfigurations[phalanx]:patch',
      ].sort(),
    );
  });

  it('limits Phalanx Lease access to phalanx-system and to its own Lease (create cannot be named)', () => {
    expect(grants(find('Role', 'phalanx-leader-election', 'phalanx-system')).sort()).toEqual(
      [
        'coordination.k8s.io/leases:create',
        `coordination.k8s.io/leases[${shippedConfig.leaderElection.leaseName}]:get`,
        `coordination.k8s.io/leases[${shippedConfig.leaderElection.leaseName}]:update`,
      ].sort(),
    );
  });

  it('gives the secondary scheduler its own Lease, where its configuration puts it', () => {
    const election = schedulerConfig['leaderElection'] as Obj;
    const lease = find('Role', 'phalanx-scheduler-lease', election['resourceNamespace'] as string);
    expect(grants(lease).sort()).toEqual(
      [
        'coordination.k8s.io/leases:create',
        `coordination.k8s.io/leases[${election['resourceName'] as string}]:get`,
        `coordination.k8s.io/leases[${election['resourceName'] as string}]:update`,
      ].sort(),
    );
    expect(election['resourceName']).not.toBe('kube-scheduler');
  });

  it('has no wildcards anywhere and binds only the roles it means to', () => {
    expect(roles.map(({ obj }) => at(obj, 'metadata', 'name')).sort()).toEqual([
      'phalanx',
      'phalanx-capacity-placeholders',
      'phalanx-leader-election',
      'phalanx-reservation',
      'phalanx-reservations-writer',
      'phalanx-scheduler-lease',
      'phalanx-webhook-certificate',
    ]);
    for (const { obj } of roles) {
      for (const rule of obj['rules'] as Rule[]) {
        for (const list of [rule.apiGroups, rule.resources, rule.verbs, rule.resourceNames]) {
          expect(list ?? []).not.toContain('*');
        }
      }
    }
    const bound = objects
      .filter(({ obj }) => obj['kind'] === 'ClusterRoleBinding' || obj['kind'] === 'RoleBinding')
      .map(({ obj }) => {
        const subjects = obj['subjects'] as Obj[];
        expect(subjects).toHaveLength(1);
        const s = subjects[0] as Obj;
        return `${s['namespace'] as string}/${s['name'] as string} -> ${at(obj, 'roleRef', 'kind') as string}/${at(obj, 'roleRef', 'name') as string}`;
      })
      .sort();
    expect(bound).toEqual(
      [
        'phalanx-system/phalanx -> ClusterRole/phalanx',
        'phalanx-system/phalanx -> Role/phalanx-capacity-placeholders',
        'phalanx-system/phalanx -> Role/phalanx-leader-election',
        'phalanx-system/phalanx -> Role/phalanx-reservations-writer',
        'phalanx-system/phalanx -> Role/phalanx-webhook-certificate',
        'phalanx-reservations/phalanx-reservation -> Role/phalanx-reservation',
        'phalanx-system/phalanx-scheduler -> ClusterRole/system:kube-scheduler',
        'phalanx-system/phalanx-scheduler -> ClusterRole/system:volume-scheduler',
        'phalanx-system/phalanx-scheduler -> Role/extension-apiserver-authentication-reader',
        'phalanx-system/phalanx-scheduler -> Role/phalanx-scheduler-lease',
      ].sort(),
    );
    expect(at(podSpec(phalanx), 'serviceAccountName')).toBe('phalanx');
    expect(at(podSpec(scheduler), 'serviceAccountName')).toBe('phalanx-scheduler');
  });
});

describe('secondary scheduler', () => {
  it('runs the kube-scheduler version the e2e suite tests, with the generated configuration', () => {
    const c = container(scheduler);
    expect(c['image']).toBe(`registry.k8s.io/kube-scheduler:v${SUPPORTED_K8S_VERSIONS[0]}`);
    expect(c['command']).toContain('--config=/etc/phalanx-scheduler/config.yaml');
    expect(c['volumeMounts']).toContainEqual({
      name: 'config',
      mountPath: '/etc/phalanx-scheduler',
      readOnly: true,
    });
    const generator = (
      (file('deploy/scheduler/kustomization.yaml')[0] as Obj)['configMapGenerator'] as Obj[]
    )[0];
    expect(generator).toMatchObject({
      name: 'phalanx-scheduler-config',
      files: ['config.yaml=kube-scheduler-config.yaml'],
    });
    expect(podSpec(scheduler)['volumes']).toContainEqual({
      name: 'config',
      configMap: { name: 'phalanx-scheduler-config' },
    });
  });

  it('is probed on its secure port', () => {
    for (const probe of ['livenessProbe', 'readinessProbe']) {
      expect(at(container(scheduler), probe, 'httpGet')).toMatchObject({ port: 10259, scheme: 'HTTPS' });
    }
  });

  it('calls the extender over mutual TLS with the files of the Secret it mounts', () => {
    const dir = '/var/run/phalanx-scheduler/extender-tls';
    expect(extender['enableHTTPS']).toBe(true);
    expect(extender['tlsConfig']).toEqual({
      certFile: `${dir}/tls.crt`,
      keyFile: `${dir}/tls.key`,
      caFile: `${dir}/ca.crt`,
    });
    expect(container(scheduler)['volumeMounts']).toContainEqual({
      name: 'extender-tls',
      mountPath: dir,
      readOnly: true,
    });
    expect(podSpec(scheduler)['volumes']).toContainEqual({
      name: 'extender-tls',
      secret: { secretName: 'phalanx-scheduler-extender-client' },
    });
  });

  it('registers the extender at the in-cluster Service with the contract Phalanx implements', () => {
    expect(schedulerConfig['percentageOfNodesToScore']).toBe(100);
    expect(schedulerConfig['profiles']).toEqual([{ schedulerName: DEFAULT_SCHEDULER_NAME }]);
    expect(schedulerConfig['extenders']).toHaveLength(1);
    expect(extender).toMatchObject({
      urlPrefix: 'https://phalanx.phalanx-system.svc:8888',
      filterVerb: 'filter',
      prioritizeVerb: 'prioritize',
      bindVerb: 'bind',
      nodeCacheCapable: true,
      ignorable: false,
    });
    expect((extender['managedResources'] as Obj[]).map((r) => r['name'])).toEqual([
      Resource.nvidiaGpu,
      Resource.gpuMilli,
    ]);
  });

  it('waits for a gang bind longer than Phalanx holds it at the barrier, with margin', () => {
    const timeout = durationMs(extender['httpTimeout'] as string);
    const defaults = configSchema.parse({});
    const marginMs = 2_000;
    expect(timeout).toBeGreaterThanOrEqual(defaults.timeouts.bindBarrierMs + marginMs);
    expect(timeout).toBeGreaterThanOrEqual(shippedConfig.timeouts.bindBarrierMs + marginMs);
  });
});

describe('NetworkPolicy', () => {
  const policy = find('NetworkPolicy', 'phalanx', 'phalanx-system');
  const ingress = at(policy, 'spec', 'ingress') as Obj[];
  const rulesFor = (port: string): Obj[] =>
    ingress.filter((r) => (r['ports'] as Obj[]).some((p) => p['port'] === port));

  it('selects the Phalanx pods, for ingress only', () => {
    expect(at(policy, 'spec', 'podSelector', 'matchLabels')).toEqual(
      at(phalanx, 'spec', 'selector', 'matchLabels'),
    );
    expect(at(policy, 'spec', 'policyTypes')).toEqual(['Ingress']);
    // Each rule opens one port.
    for (const rule of ingress) expect(rule['ports']).toHaveLength(1);
    expect(ingress.map((r) => at(r, 'ports', 0, 'port')).sort()).toEqual(['admin', 'extender', 'webhook']);
  });

  it('admits only the phalanx-scheduler pods to the extender port', () => {
    const [rule] = rulesFor('extender');
    expect(rule?.['from']).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'phalanx-scheduler' } } },
    ]);
    // Those are the scheduler Deployment's pods, in Phalanx's namespace (no namespaceSelector).
    expect(at(scheduler, 'spec', 'template', 'metadata', 'labels')).toMatchObject({
      'app.kubernetes.io/name': 'phalanx-scheduler',
    });
    expect(at(scheduler, 'metadata', 'namespace')).toBe('phalanx-system');
  });

  it('admits any source to the webhook port alone (API server addresses are cluster-specific)', () => {
    const [rule] = rulesFor('webhook');
    expect(rule).toEqual({ ports: [{ port: 'webhook', protocol: 'TCP' }] });
  });

  it('admits Prometheus pods from any namespace to the admin port', () => {
    const [rule] = rulesFor('admin');
    expect(rule?.['from']).toEqual([
      { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
    ]);
  });
});

describe('webhook', () => {
  const webhook = find('MutatingWebhookConfiguration', 'phalanx');
  const webhooks = webhook['webhooks'] as Obj[];

  it('never calls itself for pods in kube-system, phalanx-system or phalanx-reservations', () => {
    expect(webhooks.length).toBeGreaterThan(0);
    for (const w of webhooks) {
      expect(at(w, 'namespaceSelector', 'matchExpressions')).toContainEqual({
        key: 'kubernetes.io/metadata.name',
        operator: 'NotIn',
        values: ['kube-system', 'phalanx-system', 'phalanx-reservations'],
      });
      expect(at(w, 'clientConfig', 'service')).toMatchObject({
        namespace: 'phalanx-system',
        name: 'phalanx-webhook',
      });
    }
  });

  it('has the non-base64 caBundle placeholder removed from every webhook by the kustomization', () => {
    const patch = at(file('deploy/webhook/kustomization.yaml')[0], 'patches', 0, 'patch') as string;
    const ops = parseAllDocuments(patch)[0]?.toJS() as { op: string; path: string }[];
    expect(ops).toEqual(
      webhooks.map((_, i) => ({ op: 'remove', path: `/webhooks/${i}/clientConfig/caBundle` })),
    );
  });
});

describe('kind recipe', () => {
  const kind = file('deploy/kind/cluster.yaml')[0] as Obj;
  const nodes = kind['nodes'] as Obj[];

  it('has a control plane and GPU workers labelled with zone, rack and NVLink clique', () => {
    expect(nodes.filter((n) => n['role'] === 'control-plane')).toHaveLength(1);
    const workers = nodes.filter((n) => n['role'] === 'worker');
    expect(workers.length).toBeGreaterThanOrEqual(2);
    for (const w of workers) {
      const labels = w['labels'] as Obj;
      for (const key of [
        NodeLabel.zone,
        NodeLabel.leaf,
        NodeLabel.clique,
        NodeLabel.gpuMemory,
        NodeLabel.gpuCount,
      ]) {
        expect(labels[key]).toBeTypeOf('string');
      }
    }
    expect(new Set(workers.map((w) => (w['labels'] as Obj)[NodeLabel.clique])).size).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('the script loads the image the Deployment runs and patches capacity from the count label', () => {
    const script = readFileSync(join(DEPLOY, 'kind/up.sh'), 'utf8');
    expect(script).toContain('deploy/phalanx/deployment.yaml');
    expect(script).toContain('--subresource=status');
    expect(script).toContain('nvidia.com~1gpu');
    expect(script).toContain('-l nvidia.com/gpu.count');
    expect(script).toContain('k apply --server-side -k "$here"');
    // The extender's TLS Secrets exist before the Deployments that mount them.
    expect(script.indexOf('deploy/tls/make-extender-secrets.sh')).toBeGreaterThan(0);
    expect(script.indexOf('deploy/tls/make-extender-secrets.sh')).toBeLessThan(
      script.indexOf('k apply --server-side -k "$here"'),
    );
    // What it applies: deploy/'s components, one replica each.
    const kustomization = file('deploy/kind/kustomization.yaml')[0] as Obj;
    const base = (file('deploy/kustomization.yaml')[0] as Obj)['resources'] as string[];
    expect(kustomization['resources']).toEqual(base.map((b) => `../${b}`));
    expect(kustomization['replicas']).toEqual([
      { name: 'phalanx', count: 1 },
      { name: 'phalanx-scheduler', count: 1 },
    ]);
  });
});

describe('the webhook certificate Secret', () => {
  it('may be read and replaced by name only; create is the one namespace-wide right', () => {
    const role = find('Role', 'phalanx-webhook-certificate', 'phalanx-system');
    expect(role['rules']).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['phalanx-webhook-certificate'],
        verbs: ['get', 'update'],
      },
    ]);
  });
});
