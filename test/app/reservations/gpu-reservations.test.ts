// The leader's side of GPU reservations over fakes: a reservation per shared device, created when the
// first share is reserved and deleted after the last one goes; the first share's bind waits for the
// reported UUID (bounded, with Events), later shares bind at once; a restarted leader adopts what
// the API shows; nothing happens while not active.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GpuReservations } from '../../../src/app/reservations/gpu-reservations.js';
import type { ReservationPodRequest, ReservationPodWriter } from '../../../src/app/reservations/ports.js';
import type { PodRef } from '../../../src/app/ports.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { reservationPodName } from '../../../src/core/devices/reservation-pods.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import type { Assignment } from '../../../src/core/types.js';
import { FakeClock } from '../../fakes/kube-clock.js';
import { generateFabric } from '../../../testbed/gpu-fabric.js';

const NS = 'phalanx-reservations';

class FakeReservationPods implements ReservationPodWriter {
  readonly created: ReservationPodRequest[] = [];
  readonly deleted: string[] = [];
  failCreate = false;
  create(request: ReservationPodRequest): Promise<'created' | 'exists'> {
    if (this.failCreate) return Promise.reject(new Error('HTTP 500'));
    this.created.push(request);
    return Promise.resolve('created');
  }
  delete(name: string): Promise<void> {
    this.deleted.push(name);
    return Promise.resolve();
  }
}

function reservationPod(node: string, index: number, uuid?: string, phase = 'Running'): PodShape {
  return {
    metadata: {
      name: reservationPodName(node, index),
      namespace: NS,
      uid: `uid-${node}-${index}`,
      labels: { 'phalanx.dev/gpu-reservation': 'true', 'phalanx.dev/gpu-reservation-device': String(index) },
      ...(uuid ? { annotations: { 'phalanx.dev/gpu-uuid': uuid } } : {}),
    },
    spec: { nodeName: node, containers: [] },
    status: { phase },
  };
}

function setup(opts: { active?: boolean; uuidWaitMs?: number } = {}) {
  const { inventories } = generateFabric({
    zones: 1,
    leafsPerZone: 1,
    cliquesPerLeaf: 1,
    nodesPerClique: 1,
    gpusPerNode: 2,
  });
  const state = ClusterState.restore({}, inventories, []).state;
  const node = inventories[0]!.name;
  const pods = new FakeReservationPods();
  const clock = new FakeClock();
  const events: { reason: string; type: string }[] = [];
  let active = opts.active ?? true;
  const reservations = new GpuReservations({
    namespace: NS,
    state,
    pods,
    clock,
    uuidWaitMs: opts.uuidWaitMs ?? 1_000,
    releaseAfterMs: 2_000,
    active: () => active,
    events: { podEvent: (_pod, type, reason) => events.push({ type, reason }) },
  });
  const share = (index: number, milli = 500): Assignment => ({
    node,
    whole: false,
    devices: [{ index, milli, memoryBytes: 0 }],
  });
  return { state, node, pods, clock, events, reservations, share, setActive: (a: boolean) => (active = a) };
}

const ref = (uid: string): PodRef => ({ namespace: 'ml', name: uid, uid });

describe('GpuReservations', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('creates one reservation for the first share on a device, and binds once its UUID is reported', async () => {
    const t = setup();
    t.state.reserve('a', t.share(1), t.clock.now() + 60_000);
    const step = t.reservations.bindStep(ref('a'), t.share(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(t.pods.created).toEqual([
      { kind: 'create', node: t.node, index: 1, name: reservationPodName(t.node, 1) },
    ]);
    expect(t.events).toEqual([{ type: 'Normal', reason: 'WaitingForGpuDevice' }]);
    t.reservations.podChanged(reservationPod(t.node, 1)); // created, no UUID yet
    t.reservations.podChanged(reservationPod(t.node, 1, 'GPU-one'));
    expect(await step).toEqual({
      ok: true,
      annotations: {
        'phalanx.dev/gpu-uuid': 'GPU-one',
        'phalanx.dev/gpu-share': '0.5',
        'phalanx.dev/gpu-memory-mib': expect.any(String) as string,
        'phalanx.dev/gpu-sm-limit': '50',
      },
    });
    // A later share on the same device binds at once, with no second reservation and no Event.
    t.state.reserve('b', t.share(1, 250), t.clock.now() + 60_000);
    expect(await t.reservations.bindStep(ref('b'), t.share(1, 250))).toMatchObject({
      ok: true,
      annotations: { 'phalanx.dev/gpu-uuid': 'GPU-one', 'phalanx.dev/gpu-share': '0.25' },
    });
    await t.reservations.reconcile();
    expect(t.pods.created).toHaveLength(1);
    expect(t.events).toHaveLength(1);
  });

  it('fails the bind after the bounded wait, with a Warning, when no UUID arrives', async () => {
    const t = setup({ uuidWaitMs: 500 });
    t.state.reserve('a', t.share(0), t.clock.now() + 60_000);
    const step = t.reservations.bindStep(ref('a'), t.share(0));
    await vi.advanceTimersByTimeAsync(600);
    expect(await step).toMatchObject({
      ok: false,
      reason: expect.stringContaining('reported no device UUID') as string,
    });
    expect(t.events.map((e) => e.reason)).toEqual(['WaitingForGpuDevice', 'GpuDeviceUnknown']);
  });

  it('adds nothing for whole GPUs: the device plugin picks them', async () => {
    const t = setup();
    const whole: Assignment = {
      node: t.node,
      whole: true,
      devices: [{ index: 0, milli: 1000, memoryBytes: 0 }],
    };
    expect(await t.reservations.bindStep(ref('w'), whole)).toEqual({ ok: true, annotations: {} });
    await t.reservations.reconcile();
    expect(t.pods.created).toEqual([]);
  });

  it('deletes a reservation after its last share has been gone for the grace period (also a share deleted before the UUID arrived)', async () => {
    const t = setup();
    t.state.reserve('a', t.share(1), t.clock.now() + 60_000);
    await t.reservations.reconcile();
    t.reservations.podChanged(reservationPod(t.node, 1)); // never reports
    t.state.release('a');
    await t.reservations.reconcile();
    expect(t.pods.deleted).toEqual([]);
    t.clock.advance(2_000);
    await t.reservations.reconcile();
    expect(t.pods.deleted).toEqual([reservationPodName(t.node, 1)]);
    await t.reservations.reconcile();
    expect(t.pods.deleted).toHaveLength(1); // sent once
  });

  it('keeps a reservation whose device gets a share again within the grace period', async () => {
    const t = setup();
    t.reservations.podChanged(reservationPod(t.node, 1, 'GPU-one'));
    await t.reservations.reconcile();
    t.clock.advance(1_500);
    t.state.reserve('b', t.share(1), t.clock.now() + 60_000);
    t.clock.advance(1_000);
    await t.reservations.reconcile();
    expect(t.pods.deleted).toEqual([]);
  });

  it('after a restart adopts reservations from the API: mapping kept, orphans deleted, missing ones created', async () => {
    const t = setup();
    // The ledger as rebuilt from bound pods: shares on devices 0 and 1.
    t.state.commit('a', t.share(0));
    t.state.commit('b', t.share(1));
    t.reservations.podChanged(reservationPod(t.node, 0, 'GPU-zero'));
    // An orphan from a share deleted while Phalanx was down.
    t.reservations.podChanged({ ...reservationPod('gone-node', 3, 'GPU-x') });
    await t.reservations.reconcile();
    t.clock.advance(2_000);
    await t.reservations.reconcile();
    expect(t.reservations.uuidOf(t.node, 0)).toBe('GPU-zero');
    expect(t.pods.created.map((c) => c.index)).toEqual([1]);
    expect(t.pods.deleted).toEqual([reservationPodName('gone-node', 3)]);
  });

  it('replaces a failed reservation (the kubelet refused it) once it is gone', async () => {
    const t = setup();
    t.state.commit('a', t.share(0));
    const failed = reservationPod(t.node, 0, undefined, 'Failed');
    t.reservations.podChanged(failed);
    await t.reservations.reconcile();
    expect(t.pods.deleted).toEqual([reservationPodName(t.node, 0)]);
    expect(t.pods.created).toEqual([]);
    t.reservations.podDeleted(failed);
    await vi.advanceTimersByTimeAsync(0);
    await t.reservations.reconcile();
    expect(t.pods.created.map((c) => c.index)).toEqual([0]);
  });

  it('does nothing while not active (standby, or ledger not accounted yet)', async () => {
    const t = setup({ active: false });
    t.state.commit('a', t.share(0));
    t.reservations.podChanged(reservationPod(t.node, 1, 'GPU-one'));
    t.clock.advance(10_000);
    await t.reservations.reconcile();
    expect(t.pods.created).toEqual([]);
    expect(t.pods.deleted).toEqual([]);
  });

  it('retries a create that failed on the next pass', async () => {
    const t = setup();
    t.state.commit('a', t.share(0));
    t.pods.failCreate = true;
    await t.reservations.reconcile();
    t.pods.failCreate = false;
    await t.reservations.reconcile();
    expect(t.pods.created.map((c) => c.index)).toEqual([0]);
  });
});
