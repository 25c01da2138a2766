import { describe, expect, it } from 'vitest';
import {
  deviceKey,
  observeReservation,
  reconcileReservations,
  reservationPodName,
  sharedDevices,
  type ObservedReservation,
} from '../../../src/core/devices/reservation-pods.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';

const NS = 'phalanx-reservations';

function reservationPod(
  node: string,
  index: number,
  extra: Partial<NonNullable<PodShape['metadata']>> = {},
): PodShape {
  return {
    metadata: {
      name: reservationPodName(node, index),
      namespace: NS,
      uid: `uid-${node}-${index}`,
      labels: { 'phalanx.dev/gpu-reservation': 'true', 'phalanx.dev/gpu-reservation-device': String(index) },
      ...extra,
    },
    spec: { nodeName: node, containers: [] },
    status: { phase: 'Running' },
  };
}

function observed(node: string, index: number, over: Partial<ObservedReservation> = {}): ObservedReservation {
  return {
    name: reservationPodName(node, index),
    uid: `uid-${node}-${index}`,
    node,
    index,
    gone: false,
    ...over,
  };
}

describe('reservation pods', () => {
  it('names a reservation by node and index, validly for any node name', () => {
    expect(reservationPodName('n1', 3)).toMatch(/^gpu-n1-3-[0-9a-f]{8}$/);
    expect(reservationPodName('n1', 3)).toBe(reservationPodName('n1', 3));
    expect(reservationPodName('n1', 3)).not.toBe(reservationPodName('n1', 4));
    const long = reservationPodName(`${'a'.repeat(250)}.example.com`, 7);
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
  });

  it('recognises reservations only in their namespace, with the role label', () => {
    const pod = reservationPod('n1', 2, { annotations: { 'phalanx.dev/gpu-uuid': 'GPU-abc' } });
    expect(observeReservation(pod, NS)).toEqual({ ...observed('n1', 2), uuid: 'GPU-abc', phase: 'Running' });
    expect(
      observeReservation({ ...pod, metadata: { ...pod.metadata, namespace: 'ml' } }, NS),
    ).toBeUndefined();
    expect(observeReservation(reservationPod('n1', 2, { labels: {} }), NS)).toBeUndefined();
    const garbage = reservationPod('n1', 2, { annotations: { 'phalanx.dev/gpu-uuid': 'all' } });
    expect(observeReservation(garbage, NS)?.uuid).toBeUndefined();
    const failed = { ...pod, status: { phase: 'Failed' } };
    expect(observeReservation(failed, NS)?.gone).toBe(true);
    expect(
      observeReservation(reservationPod('n1', 2, { deletionTimestamp: '2026-01-01T00:00:00Z' }), NS)?.gone,
    ).toBe(true);
  });

  it('wants a reservation for every device holding shares, none for whole devices', () => {
    const keys = sharedDevices([
      { assignment: { node: 'a', whole: false, devices: [{ index: 1, milli: 500, memoryBytes: 0 }] } },
      { assignment: { node: 'a', whole: false, devices: [{ index: 1, milli: 250, memoryBytes: 0 }] } },
      { assignment: { node: 'b', whole: true, devices: [{ index: 0, milli: 1000, memoryBytes: 0 }] } },
    ]);
    expect([...keys]).toEqual([deviceKey('a', 1)]);
  });

  const base = {
    creating: new Set<string>(),
    unwantedSince: new Map<string, number>(),
    now: 10_000,
    releaseAfterMs: 2_000,
  };

  it('creates missing reservations, once', () => {
    const wanted = new Set([deviceKey('a', 1), deviceKey('b', 0)]);
    expect(reconcileReservations({ ...base, wanted, observed: [observed('a', 1)] })).toEqual([
      { kind: 'create', node: 'b', index: 0, name: reservationPodName('b', 0) },
    ]);
    expect(
      reconcileReservations({
        ...base,
        wanted,
        observed: [observed('a', 1)],
        creating: new Set([deviceKey('b', 0)]),
      }),
    ).toEqual([]);
  });

  it('deletes a reservation only after its last share has been gone for the grace period', () => {
    const input = { ...base, wanted: new Set<string>(), observed: [observed('a', 1)] };
    expect(reconcileReservations({ ...input, unwantedSince: new Map([[deviceKey('a', 1), 9_000]]) })).toEqual(
      [],
    );
    expect(reconcileReservations({ ...input, unwantedSince: new Map([[deviceKey('a', 1), 8_000]]) })).toEqual(
      [
        {
          kind: 'delete',
          name: reservationPodName('a', 1),
          uid: 'uid-a-1',
          reason: 'no share on the device',
        },
      ],
    );
  });

  it('replaces a finished reservation only after it is gone, and deletes foreign names', () => {
    const wanted = new Set([deviceKey('a', 1)]);
    const failed = observed('a', 1, { gone: true, phase: 'Failed' });
    expect(reconcileReservations({ ...base, wanted, observed: [failed] })).toEqual([
      { kind: 'delete', name: failed.name, uid: failed.uid, reason: 'finished (Failed)' },
    ]);
    const terminating = observed('a', 1, { gone: true });
    expect(reconcileReservations({ ...base, wanted, observed: [terminating] })).toEqual([]);
    const foreign = observed('a', 1, { name: 'someone-else' });
    expect(reconcileReservations({ ...base, wanted, observed: [foreign] })).toEqual([
      { kind: 'delete', name: 'someone-else', uid: foreign.uid, reason: 'not the reservation name of a/1' },
      { kind: 'create', node: 'a', index: 1, name: reservationPodName('a', 1) },
    ]);
  });
});
