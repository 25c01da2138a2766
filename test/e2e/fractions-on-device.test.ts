// Issue 16: fractional GPUs that reach the container. Each shared device gets a reservation pod that
// asks the device plugin for one GPU and reports its UUID (the test bed's device-plugin stand-in
// gives devices as the kubelet's device manager would and runs the real `phalanx reserve`); every
// share's container environment, resolved as the kubelet resolves it from the bound pod, names that
// UUID; a whole-GPU pod never gets a shared device; reservations go with their last share; a killed
// and restarted Phalanx leaks none.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { fakeGpuUuid, RESERVATION_NAMESPACE } from '../../testbed/device-plugin.js';
import { containerEnv } from '../../testbed/kubelet-env.js';
import { fetchLedger, isRunning } from '../../testbed/observe.js';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { waitFor } from '../../testbed/wait.js';
import { GPU_FRACTION, PAUSE_IMAGE } from '../../testbed/workloads.js';
import { useE2E } from './support/e2e-cluster.js';

const CLUSTER = 'phalanx-e2e-fractions-device';
const NS = 'shares';
const e2e = useE2E(CLUSTER, { namespaces: [NS] });
const NODE = 'leaf-a1-c1-n0';
const OTHER_NODE = 'leaf-a2-c2-n1';
const UUID = 'phalanx.dev/gpu-uuid';

function sharePod(name: string, node: string, fraction = '0.5', extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { name, namespace: NS, labels: { app: 'share' }, annotations: { [GPU_FRACTION]: fraction } },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      terminationGracePeriodSeconds: 0,
      containers: [
        // An image that says "all devices", as CUDA and NIM images do: the webhook's entry must win.
        { name: 'main', image: PAUSE_IMAGE, env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }] },
      ],
      ...extra,
    },
  };
}

function wholePod(name: string, node: string, gpus: number): V1Pod {
  const gpu = { 'nvidia.com/gpu': String(gpus) };
  return {
    metadata: { name, namespace: NS },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: PAUSE_IMAGE, resources: { requests: gpu, limits: gpu } }],
    },
  };
}

const sources = {
  configMap: async (namespace: string, name: string) =>
    (await e2e.core.readNamespacedConfigMap({ namespace, name }).catch(() => undefined))?.data,
  secret: async (namespace: string, name: string) =>
    (await e2e.core.readNamespacedSecret({ namespace, name }).catch(() => undefined))?.data,
};

async function runningPod(name: string): Promise<V1Pod> {
  return waitFor(`${NS}/${name} Running`, async () => {
    const pod = await e2e.core.readNamespacedPod({ namespace: NS, name });
    return isRunning(pod) && pod.metadata?.annotations?.['phalanx.dev/gpu-devices'] ? pod : undefined;
  });
}

async function envOf(pod: V1Pod): Promise<Record<string, string>> {
  const container = pod.spec?.containers[0];
  if (container === undefined) throw new Error('no container');
  return containerEnv(pod, container, sources);
}

async function reservations(): Promise<V1Pod[]> {
  return (await e2e.core.listNamespacedPod({ namespace: RESERVATION_NAMESPACE })).items;
}

/** Every device holding shares has exactly one reservation, reporting the UUID its shares carry; no other reservation exists. */
async function reservationsMatchShares(): Promise<string | undefined> {
  const shares = (await e2e.core.listNamespacedPod({ namespace: NS })).items.filter(
    (p) => p.spec?.nodeName && p.metadata?.annotations?.['phalanx.dev/gpu-devices']?.includes(':'),
  );
  const wanted = new Map<string, Set<string>>();
  for (const p of shares) {
    const index = Number(p.metadata?.annotations?.['phalanx.dev/gpu-devices']?.split(':')[0]);
    const key = `${p.spec?.nodeName ?? ''}/${index}`;
    wanted.set(key, new Set([...(wanted.get(key) ?? []), p.metadata?.annotations?.[UUID] ?? '']));
  }
  const found = new Map<string, string[]>();
  for (const r of await reservations()) {
    if (r.metadata?.deletionTimestamp) continue;
    const key = `${r.spec?.nodeName ?? ''}/${r.metadata?.labels?.['phalanx.dev/gpu-reservation-device'] ?? ''}`;
    found.set(key, [...(found.get(key) ?? []), r.metadata?.annotations?.[UUID] ?? '']);
  }
  for (const [key, uuids] of wanted) {
    const held = found.get(key);
    if (held?.length !== 1) return `${key}: ${held?.length ?? 0} reservations for its shares`;
    if (uuids.size !== 1 || !uuids.has(held[0] ?? ''))
      return `${key}: shares name ${[...uuids].join(',')}, reservation ${held[0] ?? ''}`;
  }
  for (const key of found.keys()) if (!wanted.has(key)) return `${key}: reservation without shares`;
  return '';
}

async function settled(what: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(what, async () => ((await reservationsMatchShares()) === '' ? true : undefined), {
    timeoutMs,
    describe: async () => (await reservationsMatchShares()) ?? '',
  });
}

async function deletePod(name: string): Promise<void> {
  await e2e.core.deleteNamespacedPod({ namespace: NS, name, gracePeriodSeconds: 0 });
  await waitFor(`${name} gone`, async () =>
    (await e2e.core.readNamespacedPod({ namespace: NS, name }).catch(() => undefined)) === undefined
      ? true
      : undefined,
  );
}

describe(`fractional GPUs on the device (Kubernetes v${selectedK8sVersion()})`, () => {
  let shareUuid = '';

  it('gives two shares of one device the UUID its reservation reported, in their containers', async () => {
    const t0 = Date.now();
    await e2e.core.createNamespacedPod({ namespace: NS, body: sharePod('share-a', NODE) });
    const a = await runningPod('share-a');
    const firstMs = Date.now() - t0;
    const t1 = Date.now();
    await e2e.core.createNamespacedPod({ namespace: NS, body: sharePod('share-b', NODE) });
    const b = await runningPod('share-b');
    process.stderr.write(`[e2e] first share Running in ${firstMs} ms, second in ${Date.now() - t1} ms\n`);

    const [envA, envB] = [await envOf(a), await envOf(b)];
    const [res] = await reservations();
    expect(res?.spec?.nodeName).toBe(NODE);
    const reported = res?.metadata?.annotations?.[UUID] ?? '';
    // The stand-in gave the reservation a device of this node; the reservation reported exactly it.
    const held = e2e.devicePlugin.allocations().get(res?.metadata?.uid ?? '');
    expect(held?.uuids).toEqual([reported]);
    expect(reported).toMatch(new RegExp(`^GPU-${NODE}-\\d$`));
    expect(envA['NVIDIA_VISIBLE_DEVICES']).toBe(reported);
    expect(envB['NVIDIA_VISIBLE_DEVICES']).toBe(reported);
    expect(a.metadata?.annotations?.['phalanx.dev/gpu-devices']).toBe(
      b.metadata?.annotations?.['phalanx.dev/gpu-devices'],
    );
    expect(envA['PHALANX_GPU_FRACTION']).toBe('0.5');
    expect(envA['PHALANX_GPU_MEMORY_MIB']).toBe(String(Math.floor(81559 / 2)));
    expect(e2e.devicePlugin.failedReservations().size).toBe(0);
    shareUuid = reported;
    await settled('reservations to match the shares');
  });

  it('fails closed: a share not bound yet resolves NVIDIA_VISIBLE_DEVICES to empty', async () => {
    await e2e.core.createNamespacedPod({
      namespace: NS,
      body: sharePod('share-held', NODE, '0.25', { schedulingGates: [{ name: 'e2e.phalanx.dev/hold' }] }),
    });
    const pod = await e2e.core.readNamespacedPod({ namespace: NS, name: 'share-held' });
    const env = await envOf(pod);
    expect(env['NVIDIA_VISIBLE_DEVICES']).toBe('');
    expect(env['PHALANX_GPU_FRACTION']).toBe('');
    await deletePod('share-held');
  });

  it('never gives a shared device to a whole-GPU pod (the reservation holds it)', async () => {
    await e2e.core.createNamespacedPod({ namespace: NS, body: wholePod('whole-7', NODE, 7) });
    const pod = await runningPod('whole-7');
    const held = await waitFor('the stand-in to allocate whole-7', () =>
      Promise.resolve(e2e.devicePlugin.allocations().get(pod.metadata?.uid ?? '')),
    );
    expect(held.uuids).toHaveLength(7);
    expect(held.uuids).not.toContain(shareUuid);
    expect(e2e.devicePlugin.refusals()).toEqual([]);
    const all = Array.from({ length: 8 }, (_, i) => fakeGpuUuid(NODE, i));
    expect([...held.uuids, shareUuid].sort()).toEqual(all.sort());
    await deletePod('whole-7');
  });

  it('removes the reservation within seconds after the last share goes', async () => {
    await deletePod('share-a');
    await settled('the reservation to stay while share-b lives', 5_000);
    expect(await reservations()).toHaveLength(1);
    const t0 = Date.now();
    await deletePod('share-b');
    await waitFor(
      'no reservation left',
      async () => ((await reservations()).length === 0 ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
    process.stderr.write(`[e2e] reservation gone ${Date.now() - t0} ms after the last share\n`);
    const ledger = await fetchLedger(e2e.phalanx.adminUrl);
    expect(ledger.totals.usedMilli).toBe(0);
  });

  it('leaks nothing when Phalanx is killed mid-way, and keeps the mapping across the restart', async () => {
    // A share that outlives the restart, and one whose reservation is being created when Phalanx dies.
    await e2e.core.createNamespacedPod({ namespace: NS, body: sharePod('keep', OTHER_NODE) });
    const keep = await runningPod('keep');
    const keepUuid = keep.metadata?.annotations?.[UUID];
    const keepReservation = (await reservations())[0]?.metadata?.uid;
    await e2e.core.createNamespacedPod({ namespace: NS, body: sharePod('mid', NODE) });
    await waitFor('the reservation for mid to be created', async () =>
      (await reservations()).some((r) => r.spec?.nodeName === NODE) ? true : undefined,
    );
    await e2e.phalanx.kill();
    // While Phalanx is down: a share goes (its reservation must not outlive the restart).
    await e2e.core.deleteNamespacedPod({ namespace: NS, name: 'mid', gracePeriodSeconds: 0 });
    await e2e.phalanx.start();
    await settled('reservations to match the shares after the restart');
    const after = await reservations();
    expect(after.map((r) => r.metadata?.uid)).toEqual([keepReservation]);
    // A later share on the kept device binds with the same UUID, without a new reservation.
    await e2e.core.createNamespacedPod({ namespace: NS, body: sharePod('later', OTHER_NODE) });
    const later = await runningPod('later');
    expect(later.metadata?.annotations?.[UUID]).toBe(keepUuid);
    expect((await envOf(later))['NVIDIA_VISIBLE_DEVICES']).toBe(keepUuid);
    await settled('reservations to match the shares');
    await deletePod('keep');
    await deletePod('later');
    await waitFor(
      'no reservation left',
      async () => ((await reservations()).length === 0 ? true : undefined),
      {
        timeoutMs: 15_000,
      },
    );
  });
});
