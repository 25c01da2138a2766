import { describe, expect, it } from 'vitest';
import { reportDeviceUuid } from '../../../src/app/reservations/report-device.js';

function annotator(failures = 0) {
  const writes: { pod: string; annotations: Record<string, string> }[] = [];
  let left = failures;
  return {
    writes,
    annotate(namespace: string, name: string, annotations: Readonly<Record<string, string>>) {
      if (left-- > 0) return Promise.reject(new Error('connection refused'));
      writes.push({ pod: `${namespace}/${name}`, annotations: { ...annotations } });
      return Promise.resolve();
    },
  };
}

const pod = { namespace: 'phalanx-reservations', name: 'gpu-n-0-x' };
const sleep = () => Promise.resolve();

describe('phalanx reserve: reporting the device', () => {
  it('writes the UUID from NVIDIA_VISIBLE_DEVICES onto its own pod', async () => {
    const a = annotator();
    const listGpus = () => Promise.reject(new Error('not called'));
    expect(
      await reportDeviceUuid({ visibleDevices: 'GPU-abc', listGpus, annotator: a, pod, sleep }),
    ).toMatchObject({
      ok: true,
      uuid: 'GPU-abc',
    });
    expect(a.writes).toEqual([
      { pod: 'phalanx-reservations/gpu-n-0-x', annotations: { 'phalanx.dev/gpu-uuid': 'GPU-abc' } },
    ]);
  });

  it('falls back to the listing command when the variable names no UUID (CDI)', async () => {
    const a = annotator();
    const listGpus = () => Promise.resolve('GPU 0: NVIDIA H100 (UUID: GPU-from-smi)\n');
    expect(
      await reportDeviceUuid({ visibleDevices: 'void', listGpus, annotator: a, pod, sleep }),
    ).toMatchObject({
      ok: true,
      uuid: 'GPU-from-smi',
      source: 'nvidia-smi',
    });
  });

  it('retries the write, and gives up with the reason', async () => {
    const listGpus = () => Promise.resolve(undefined);
    const flaky = annotator(2);
    expect(
      (await reportDeviceUuid({ visibleDevices: 'GPU-a', listGpus, annotator: flaky, pod, sleep })).ok,
    ).toBe(true);
    const down = annotator(99);
    expect(
      await reportDeviceUuid({ visibleDevices: 'GPU-a', listGpus, annotator: down, pod, sleep, attempts: 3 }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('connection refused') as string,
    });
  });

  it('reports nothing when no single device can be named', async () => {
    const a = annotator();
    const listGpus = () => Promise.resolve(undefined);
    expect((await reportDeviceUuid({ visibleDevices: 'all', listGpus, annotator: a, pod, sleep })).ok).toBe(
      false,
    );
    expect(a.writes).toEqual([]);
  });
});
