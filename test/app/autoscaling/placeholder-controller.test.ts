import { describe, expect, it } from 'vitest';
import { PlaceholderController } from '../../../src/app/autoscaling/placeholder-controller.js';
import type {
  AutoscalingSnapshot,
  PlaceholderPodWriter,
  ProvisioningRequestPort,
} from '../../../src/app/autoscaling/ports.js';
import type { ObservedRequest, RequestSpec } from '../../../src/core/autoscaling/provisioning-requests.js';
import type { PlaceholderSpec } from '../../../src/core/autoscaling/placeholder-plan.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { placeholderPodManifest } from '../../../src/kube/placeholder-pods.js';
import { FakeClock } from '../../fakes/kube-clock.js';
import { pod, SCHEDULER, T0 } from '../../core/autoscaling/fixtures.js';

const NS = 'phalanx-system';
const CLIQUE = 'nvidia.com/gpu.clique';

/** The API server and informer in one: created pods come back through podChanged, as the watch would deliver them. */
class FakeApi implements PlaceholderPodWriter {
  readonly pods = new Map<string, PodShape>();
  readonly log: string[] = [];
  controller: PlaceholderController | undefined;
  #uid = 0;

  create(spec: PlaceholderSpec): Promise<'created' | 'exists'> {
    this.log.push(`create ${spec.name}`);
    if (this.pods.has(spec.name)) return Promise.resolve('exists');
    const manifest = placeholderPodManifest(spec, { namespace: NS, image: 'pause', priorityClassName: 'pc' });
    const created = { ...manifest, metadata: { ...manifest.metadata, uid: `ph-${++this.#uid}` } } as PodShape;
    this.pods.set(spec.name, created);
    this.controller?.podChanged(created);
    return Promise.resolve('created');
  }

  delete(name: string, uid: string): Promise<void> {
    this.log.push(`delete ${name}`);
    const existing = this.pods.get(name);
    if (existing?.metadata?.uid === uid) {
      this.pods.delete(name);
      this.controller?.podDeleted(existing);
    }
    return Promise.resolve();
  }

  /** The default scheduler binds a placeholder. */
  schedule(name: string, node: string): void {
    const p = this.pods.get(name) as PodShape;
    const bound = { ...p, spec: { ...p.spec, nodeName: node } } as PodShape;
    this.pods.set(name, bound);
    this.controller?.podChanged(bound);
  }
}

/** ProvisioningRequests in memory; `served` says whether the API exists. */
class FakeRequests implements ProvisioningRequestPort {
  served_ = true;
  readonly requests = new Map<string, ObservedRequest & { spec: RequestSpec }>();
  readonly consumed = new Map<string, string>();
  served(): Promise<boolean> {
    return Promise.resolve(this.served_);
  }
  list(): Promise<ObservedRequest[]> {
    return Promise.resolve([...this.requests.values()]);
  }
  create(spec: RequestSpec): Promise<void> {
    this.requests.set(spec.name, {
      name: spec.name,
      uid: `u-${spec.name}`,
      unit: spec.unit,
      specHash: spec.specHash,
      state: 'pending',
      deleting: false,
      spec,
    });
    return Promise.resolve();
  }
  delete(name: string): Promise<void> {
    this.requests.delete(name);
    return Promise.resolve();
  }
  consume(pod: string, request: string): Promise<void> {
    this.consumed.set(pod, request);
    return Promise.resolve();
  }
}

function setup(
  opts: {
    active?: () => boolean;
    api?: FakeApi;
    labels?: Record<string, Record<string, string>>;
    requests?: FakeRequests;
  } = {},
) {
  const clock = new FakeClock(T0 + 60_000);
  const api = opts.api ?? new FakeApi();
  const snapshots: AutoscalingSnapshot[] = [];
  const controller = new PlaceholderController({
    namespace: NS,
    schedulerName: SCHEDULER,
    levels: [CLIQUE],
    pendingForMs: 10_000,
    handoffGraceMs: 60_000,
    reconcileMs: 5_000,
    maxPlaceholders: 16,
    gangStallMs: 20_000,
    pods: api,
    ...(opts.requests ? { requests: opts.requests } : {}),
    nodes: { labels: (name) => opts.labels?.[name], all: () => [] },
    clock,
    active: opts.active ?? (() => true),
    observer: { reconciled: (s) => snapshots.push(s), wrote: () => undefined },
  });
  api.controller = controller;
  for (const p of api.pods.values()) controller.podChanged(p);
  return { clock, api, controller, snapshots };
}

const gang = [0, 1].map((i) =>
  pod(`m${i}`, { gpus: 4, group: 'g', size: 2, required: CLIQUE, unschedulableAt: T0 }),
);
const shares = ['a', 'b', 'c'].map((n) => pod(n, { fraction: '0.5', unschedulableAt: T0 }));

describe('PlaceholderController', () => {
  it('creates placeholders for a waiting gang and shares, and nothing more on the next pass', async () => {
    const { api, controller, snapshots } = setup();
    for (const p of [...gang, ...shares]) controller.podChanged(p);
    await controller.reconcile();
    expect(api.pods.size).toBe(4); // 2 gang members + 2 GPUs for three halves
    const gangPods = [...api.pods.values()].filter(
      (p) => p.metadata?.labels?.['phalanx.dev/capacity-placeholder-kind'] === 'gang',
    );
    expect(
      gangPods.map(
        (p) =>
          p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey,
      ),
    ).toEqual([CLIQUE, CLIQUE]);
    expect(
      gangPods.every(
        (p) =>
          p.spec?.schedulerName === undefined &&
          p.spec?.containers?.[0]?.resources?.requests?.['nvidia.com/gpu'] === '4',
      ),
    ).toBe(true);
    expect(await controller.reconcile()).toEqual([]);
    expect(snapshots.at(-1)?.placeholders.gang.pending).toBe(2);
    expect(snapshots.at(-1)?.demandGpus).toEqual({ gang: 8, shares: 2 });
  });

  it('hands the room to the real pods once scheduled, and leaves nothing behind when they bind', async () => {
    const { api, controller, clock } = setup();
    for (const p of gang) controller.podChanged(p);
    await controller.reconcile();
    const names = [...api.pods.keys()];
    api.schedule(names[0]!, 'new-0');
    await controller.reconcile();
    expect(api.pods.size).toBe(2);
    api.schedule(names[1]!, 'new-1');
    await controller.reconcile();
    expect(api.pods.size).toBe(0);
    // The members still wait (their retry comes later): no new placeholders within the grace.
    clock.advance(30_000);
    expect(await controller.reconcile()).toEqual([]);
    for (const [i, p] of gang.entries())
      controller.podChanged({ ...p, spec: { ...p.spec, nodeName: `new-${i}` } });
    clock.advance(60_000);
    expect(await controller.reconcile()).toEqual([]);
    expect(api.pods.size).toBe(0);
  });

  it('recreates a gang stuck half placed away from that domain', async () => {
    const { api, controller, clock } = setup({ labels: { full: { [CLIQUE]: 'clique-x' } } });
    for (const p of gang) controller.podChanged(p);
    await controller.reconcile();
    const [first] = [...api.pods.keys()];
    api.schedule(first!, 'full');
    await controller.reconcile();
    clock.advance(20_000);
    await controller.reconcile();
    expect(api.pods.size).toBe(0);
    await controller.reconcile();
    const again = [...api.pods.values()];
    expect(again).toHaveLength(2);
    for (const p of again) {
      expect(
        p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
      ).toEqual([{ matchExpressions: [{ key: CLIQUE, operator: 'NotIn', values: ['clique-x'] }] }]);
    }
  });

  it('in ProvisioningRequest mode gives a gang one request its pods consume, and shares placeholders', async () => {
    const requests = new FakeRequests();
    const { api, controller } = setup({ requests });
    for (const p of [...gang, ...shares]) controller.podChanged(p);
    await controller.reconcile();
    expect(
      [...api.pods.values()].map((p) => p.metadata?.labels?.['phalanx.dev/capacity-placeholder-kind']),
    ).toEqual(['shares', 'shares']);
    const [request] = [...requests.requests.values()];
    expect(request?.spec.podSets.map((s) => [s.count, s.template.gpus])).toEqual([[2, 4]]);
    expect(Object.fromEntries(requests.consumed)).toEqual({
      'team/m0': request?.name,
      'team/m1': request?.name,
    });
    // The gang binds: its request goes.
    for (const [i, p] of gang.entries())
      controller.podChanged({ ...p, spec: { ...p.spec, nodeName: `n${i}` } });
    await controller.reconcile();
    expect(requests.requests.size).toBe(0);
  });

  it('falls back to placeholders for gangs where the ProvisioningRequest API is not served', async () => {
    const requests = new FakeRequests();
    requests.served_ = false;
    const { api, controller } = setup({ requests });
    for (const p of gang) controller.podChanged(p);
    await controller.reconcile();
    expect(api.pods.size).toBe(2);
    expect(requests.requests.size).toBe(0);
  });

  it('deletes placeholders when the demand goes away', async () => {
    const { api, controller } = setup();
    for (const p of shares) controller.podChanged(p);
    await controller.reconcile();
    expect(api.pods.size).toBe(2);
    for (const p of shares) controller.podDeleted(p);
    await controller.reconcile();
    expect(api.pods.size).toBe(0);
  });

  it('after a restart adopts the placeholders it made and removes the stale ones', async () => {
    const first = setup();
    for (const p of gang) first.controller.podChanged(p);
    await first.controller.reconcile();
    const api = first.api;
    const stale = placeholderPodManifest(
      {
        name: 'phalanx-placeholder-dead-0',
        unit: 'dead',
        kind: 'shares',
        gpus: 1,
        cpuMilli: 0,
        memoryBytes: 0,
        constraints: {},
        demand: 'x',
        specHash: 'h',
        forPods: [],
      },
      { namespace: NS, image: 'pause', priorityClassName: 'pc' },
    );
    api.pods.set('phalanx-placeholder-dead-0', {
      ...stale,
      metadata: { ...stale.metadata, uid: 'stale' },
    });
    api.log.length = 0;
    const second = setup({ api });
    for (const p of gang) second.controller.podChanged(p);
    await second.controller.reconcile();
    expect(api.log).toEqual(['delete phalanx-placeholder-dead-0']);
    expect(api.pods.size).toBe(2);
  });

  it('writes nothing while not the serving leader', async () => {
    const { api, controller } = setup({ active: () => false });
    for (const p of shares) controller.podChanged(p);
    await controller.reconcile();
    expect(api.log).toEqual([]);
  });

  it('reconciles on tick only every reconcileMs', async () => {
    const { api, controller, clock } = setup();
    for (const p of shares) controller.podChanged(p);
    controller.tick();
    await controller.reconcile();
    const creates = api.log.length;
    for (const p of shares) controller.podDeleted(p);
    controller.tick();
    await Promise.resolve();
    expect(api.pods.size).toBe(creates);
    clock.advance(5_000);
    controller.tick();
    await controller.reconcile();
    expect(api.pods.size).toBe(0);
  });
});
