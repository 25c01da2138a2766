// Smoke test of the local cluster itself (no Phalanx): upstream control plane + KWOK + fabric.
// Runs against the Kubernetes version selected by PHALANX_K8S_VERSION.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  VersionApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterDown, clusterUp } from '../../testbed/cluster.js';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { SMALL_A100_NODES, SMALL_FABRIC, SMALL_H100_NODES } from './support/small-fabric.js';

const CLUSTER = 'phalanx-e2e-smoke';
const NS = 'smoke';
const PAUSE = 'registry.k8s.io/pause:3.10';

let kc: KubeConfig;
let core: CoreV1Api;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function plainPod(name: string, extra: Partial<V1Pod['spec']> = {}, finalizers?: string[]): V1Pod {
  return {
    metadata: { name, namespace: NS, ...(finalizers ? { finalizers } : {}) },
    spec: { containers: [{ name: 'main', image: PAUSE }], ...extra },
  };
}

async function runningPod(name: string): Promise<V1Pod> {
  return waitFor(`pod ${name} Running`, async () => {
    const pod = await core.readNamespacedPod({ name, namespace: NS });
    return pod.status?.phase === 'Running' ? pod : undefined;
  });
}

beforeAll(async () => {
  const started = Date.now();
  const cluster = await clusterUp({ name: CLUSTER, fabricFile: SMALL_FABRIC });
  process.stderr.write(`[smoke] cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await waitFor('default ServiceAccount', async () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: NS }).catch(() => undefined),
  );
});

afterAll(async () => {
  await clusterDown(CLUSTER);
});

describe(`local cluster (Kubernetes v${selectedK8sVersion()})`, () => {
  it('reports the selected version on /version', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    const [major, minor] = selectedK8sVersion().split('.');
    expect(version.gitVersion).toBe(`v${selectedK8sVersion()}`);
    expect(version.major).toBe(major);
    expect(version.minor).toBe(minor);
  });

  it('has every fabric node Ready, untainted, labelled like GFD and with GPU allocatable', async () => {
    const nodes = (await core.listNode({ labelSelector: 'type=kwok' })).items;
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual(
      [...SMALL_H100_NODES, ...SMALL_A100_NODES].sort(),
    );
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      const a100 = SMALL_A100_NODES.includes(name);
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, name).toBe('True');
      expect(node.spec?.taints ?? [], name).toEqual([]);
      expect(node.status?.allocatable?.['nvidia.com/gpu'], name).toBe(a100 ? '2' : '4');
      expect(node.metadata?.labels, name).toMatchObject({
        'topology.kubernetes.io/zone': 'zone-a',
        'network.topology.nvidia.com/leaf': name.slice(0, 'leaf-a1'.length),
        'nvidia.com/gpu.product': a100 ? 'NVIDIA-A100-SXM4-40GB' : 'NVIDIA-H100-80GB-HBM3',
        'nvidia.com/gpu.memory': a100 ? '40960' : '81559',
        'nvidia.com/gpu.count': a100 ? '2' : '4',
      });
    }
    const clique = nodes.find((n) => n.metadata?.name === 'leaf-a2-c2-n1')?.metadata?.labels?.[
      'nvidia.com/gpu.clique'
    ];
    expect(clique).toBe('5e1f0c2a-7b3d-4c8e-9f10-a2a2a2a2a2a2.2');
  });

  it('schedules a plain Deployment through the controllers and KWOK runs its pods', async () => {
    const labels = { app: 'plain' };
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'plain', namespace: NS },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: PAUSE }] } },
        },
      },
    });
    const pods = await waitFor('3 Running Deployment pods', async () => {
      const items = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=plain' })).items;
      const running = items.filter((p) => p.status?.phase === 'Running');
      return running.length === 3 ? running : undefined;
    });
    for (const pod of pods) {
      expect([...SMALL_H100_NODES, ...SMALL_A100_NODES]).toContain(pod.spec?.nodeName);
      expect(pod.spec?.schedulerName).toBe('default-scheduler');
    }
  });

  it('runs the phalanx-scheduler profile, which binds a pod without GPU requests without the extender', async () => {
    // No Phalanx is running: the pod requests no managed resource, so the extender is not consulted.
    await core.createNamespacedPod({
      namespace: NS,
      body: plainPod('via-phalanx-profile', { schedulerName: 'phalanx-scheduler' }),
    });
    const pod = await runningPod('via-phalanx-profile');
    expect([...SMALL_H100_NODES, ...SMALL_A100_NODES]).toContain(pod.spec?.nodeName);
  });

  it('fails a terminating pod held by a finalizer, as a kubelet would, and then deletes it', async () => {
    const finalizer = 'phalanx.dev/smoke-hold';
    await core.createNamespacedPod({ namespace: NS, body: plainPod('held', {}, [finalizer]) });
    await runningPod('held');
    await core.deleteNamespacedPod({ name: 'held', namespace: NS });
    const failed = await waitFor('held pod Failed', async () => {
      const pod = await core.readNamespacedPod({ name: 'held', namespace: NS });
      return pod.status?.phase === 'Failed' ? pod : undefined;
    });
    expect(failed.metadata?.deletionTimestamp).toBeDefined();
    // KWOK may update the pod between our read and write: retry the write on a 409, as controllers do.
    await waitFor('finalizer removed', async () => {
      const current = await core.readNamespacedPod({ name: 'held', namespace: NS });
      try {
        await core.replaceNamespacedPod({
          name: 'held',
          namespace: NS,
          body: { ...current, metadata: { ...current.metadata, finalizers: [] } },
        });
        return true;
      } catch (err) {
        if (err instanceof ApiException && err.code === 409) return undefined;
        throw err;
      }
    });
    await waitFor('held pod gone', async () =>
      core.readNamespacedPod({ name: 'held', namespace: NS }).then(
        () => undefined,
        (err: unknown) => (err instanceof ApiException && err.code === 404 ? true : undefined),
      ),
    );
  });
});
