// The Helm chart deploy/helm/phalanx and the kustomize tree deploy/ install the same objects: the
// chart's default rendering equals `kubectl kustomize deploy/` object by object, its cert-manager
// and monitoring values equal the overlays, its replica values the kind trial's, and every other
// value changes what it names and nothing else. Needs helm (scripts/helm-build.sh) and kubectl
// (scripts/cluster-build.sh); skipped without them unless PHALANX_REQUIRE_TOOLS=1 (.ci/run sets it).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compareRenderings, keyOf } from '../../testbed/helm/compare.js';
import {
  helmTemplate,
  kustomize,
  missingTools,
  type KubeObject,
  type Obj,
} from '../../testbed/helm/render.js';

const GENERATED = new Set(['phalanx-config', 'phalanx-scheduler-config']);
const missing = await missingTools();
if (missing.length > 0 && process.env['PHALANX_REQUIRE_TOOLS'] === '1') {
  throw new Error(`PHALANX_REQUIRE_TOOLS=1 but not built: ${missing.join(', ')}`);
}
const reason = `not built: ${missing.join(', ')} (bash scripts/helm-build.sh; npm run cluster:build)`;

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const hit = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (hit === undefined) throw new Error(`no ${kind} ${name} rendered`);
  return hit;
}
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);
const containerOf = (deployment: KubeObject, name: string): Obj =>
  (at(deployment, 'spec', 'template', 'spec', 'containers') as Obj[]).find((c) => c['name'] === name) ?? {};
const configOf = (objects: readonly KubeObject[], name: string): Obj =>
  parse(at(find(objects, 'ConfigMap', name), 'data', 'config.yaml') as string) as Obj;

async function expectAgreement(dir: string, values: Record<string, unknown>): Promise<void> {
  const [kustomized, charted] = await Promise.all([kustomize(dir), helmTemplate(values)]);
  const comparison = compareRenderings(kustomized, charted, GENERATED);
  expect(comparison).toEqual({ onlyInKustomize: [], onlyInChart: [], different: [] });
  expect(kustomized.length).toBeGreaterThan(20);
}

describe.skipIf(missing.length > 0)(
  `the Helm chart agrees with the kustomize tree${missing.length > 0 ? ` (${reason})` : ''}`,
  () => {
    it('renders exactly the objects of kubectl kustomize deploy/ with its default values', async () => {
      await expectAgreement('deploy', {});
    });

    it('renders deploy/overlays/cert-manager with both certificate modes set to cert-manager', async () => {
      await expectAgreement('deploy/overlays/cert-manager', {
        'webhook.certificateMode': 'cert-manager',
        'extenderTLS.mode': 'cert-manager',
      });
    });

    it('renders deploy/overlays/prometheus-operator with the PodMonitor enabled', async () => {
      await expectAgreement('deploy/overlays/prometheus-operator', { 'metrics.podMonitor.enabled': true });
    });

    it("renders deploy/kind/'s one-replica trial with replicas: 1 and scheduler.replicas: 1", async () => {
      await expectAgreement('deploy/kind', { replicas: 1, 'scheduler.replicas': 1 });
    });

    it('changes exactly what each value names', async () => {
      const base = await helmTemplate();
      const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } };
      const changed = await helmTemplate({
        'image.repository': 'registry.example.com/phalanx',
        'image.tag': '9.9.9',
        replicas: 3,
        resources,
        schedulerName: 'gpu-scheduler',
        'scheduler.image': 'registry.k8s.io/kube-scheduler:v1.33.13',
      });
      const phalanx = find(changed, 'Deployment', 'phalanx');
      expect(containerOf(phalanx, 'phalanx')['image']).toBe('registry.example.com/phalanx:9.9.9');
      expect(containerOf(phalanx, 'phalanx')['resources']).toEqual(resources);
      expect(at(phalanx, 'spec', 'replicas')).toBe(3);
      const scheduler = find(changed, 'Deployment', 'phalanx-scheduler');
      expect(containerOf(scheduler, 'kube-scheduler')['image']).toBe(
        'registry.k8s.io/kube-scheduler:v1.33.13',
      );
      expect(configOf(changed, 'phalanx-config')['schedulerName']).toBe('gpu-scheduler');
      expect(at(configOf(changed, 'phalanx-scheduler-config'), 'profiles', 0, 'schedulerName')).toBe(
        'gpu-scheduler',
      );
      // Everything else is as the defaults render it.
      const untouched = (objects: readonly KubeObject[]) =>
        objects.filter((o) => o.kind !== 'Deployment' && o.kind !== 'ConfigMap').map((o) => [keyOf(o), o]);
      expect(untouched(changed)).toEqual(untouched(base));
      // A changed configuration rolls the Deployment that mounts it.
      const checksum = (objects: readonly KubeObject[]) =>
        at(
          find(objects, 'Deployment', 'phalanx'),
          'spec',
          'template',
          'metadata',
          'annotations',
          'checksum/phalanx-config',
        );
      expect(checksum(changed)).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(changed)).not.toBe(checksum(base));
    });

    it('adds a ServiceMonitor whose headless Service selects every Phalanx replica', async () => {
      const objects = await helmTemplate({ 'metrics.serviceMonitor.enabled': true });
      const monitor = find(objects, 'ServiceMonitor', 'phalanx');
      const service = find(objects, 'Service', 'phalanx-metrics');
      const serviceLabels = at(service, 'metadata', 'labels') as Obj;
      for (const [k, v] of Object.entries(at(monitor, 'spec', 'selector', 'matchLabels') as Obj)) {
        expect(serviceLabels[k]).toBe(v);
      }
      expect(at(service, 'spec', 'clusterIP')).toBe('None');
      const podLabels = at(
        find(objects, 'Deployment', 'phalanx'),
        'spec',
        'template',
        'metadata',
        'labels',
      ) as Obj;
      for (const [k, v] of Object.entries(at(service, 'spec', 'selector') as Obj))
        expect(podLabels[k]).toBe(v);
      expect(at(monitor, 'spec', 'endpoints', 0, 'port')).toBe('admin');
    });

    it.each([
      [
        { 'webhook.certificateMode': 'vault' },
        'webhook.certificateMode: "vault" must be self-signed or cert-manager',
      ],
      [{ 'extenderTLS.mode': 'none' }, 'extenderTLS.mode: "none" must be secrets or cert-manager'],
      [{ replicas: 0 }, 'replicas: 0 must be a whole number from 1 to 10'],
      [{ 'scheduler.replicas': 'two' }, 'scheduler.replicas: two must be a whole number from 1 to 10'],
      [{ schedulerName: 'Not A Name' }, 'schedulerName: "Not A Name" must be a DNS label'],
    ])('refuses %j naming the value', async (values, message) => {
      await expect(helmTemplate(values)).rejects.toThrow(message);
    });
  },
);
