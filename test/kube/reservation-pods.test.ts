import { describe, expect, it } from 'vitest';
import { ApiReservationPods, reservationPodManifest } from '../../src/kube/reservation-pods.js';
import { observeReservation } from '../../src/core/devices/reservation-pods.js';

const options = {
  namespace: 'phalanx-reservations',
  image: 'phalanx:0.1.0',
  args: ['reserve'],
  serviceAccountName: 'phalanx-reservation',
  priorityClassName: 'phalanx-gpu-reservation',
};

describe('reservation pod manifest', () => {
  it('is bound to the node, asks for one GPU, small and restricted, and is recognised as a reservation', () => {
    const pod = reservationPodManifest(
      { name: 'gpu-n1-2-abc', node: 'n1', index: 2 },
      { ...options, runtimeClassName: 'nvidia' },
    );
    expect(pod.spec?.nodeName).toBe('n1');
    expect(pod.spec?.runtimeClassName).toBe('nvidia');
    expect(pod.spec?.priorityClassName).toBe('phalanx-gpu-reservation');
    expect(pod.spec?.serviceAccountName).toBe('phalanx-reservation');
    const [c] = pod.spec?.containers ?? [];
    expect(c?.args).toEqual(['reserve']);
    expect(c?.resources?.limits).toEqual({ memory: '96Mi', 'nvidia.com/gpu': '1' });
    expect(c?.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(pod.spec?.securityContext?.runAsNonRoot).toBe(true);
    expect(
      observeReservation({ ...pod, metadata: { ...pod.metadata, uid: 'u' } }, options.namespace),
    ).toMatchObject({
      node: 'n1',
      index: 2,
    });
    expect(reservationPodManifest({ name: 'x', node: 'n1', index: 0 }, options).spec).not.toHaveProperty(
      'runtimeClassName',
    );
  });

  it('treats an existing pod as created and a gone or replaced one as deleted', async () => {
    const err = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });
    const api = {
      createNamespacedPod: () => Promise.reject(err(409)),
      deleteNamespacedPod: () => Promise.reject(err(404)),
    };
    const pods = new ApiReservationPods(api, options);
    expect(await pods.create({ name: 'x', node: 'n', index: 0 })).toBe('exists');
    await expect(pods.delete('x', 'u')).resolves.toBeUndefined();
    const failing = new ApiReservationPods(
      { ...api, createNamespacedPod: () => Promise.reject(err(403)) },
      options,
    );
    await expect(failing.create({ name: 'x', node: 'n', index: 0 })).rejects.toThrow('403');
  });
});
