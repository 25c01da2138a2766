import { describe, expect, it } from 'vitest';
import {
  deviceUuid,
  isGpuUuid,
  readVisibleDevices,
  uuidsFromNvidiaSmiList,
} from '../../../src/core/devices/device-uuid.js';

const UUID = 'GPU-5b4a0d3e-8f1c-4e2a-9b7d-0123456789ab';
const SMI = [
  `GPU 0: NVIDIA H100 80GB HBM3 (UUID: ${UUID})`,
  '  MIG 1g.10gb     Device  0: (UUID: MIG-11111111-2222-3333-4444-555555555555)',
  '',
].join('\n');

describe('device UUIDs', () => {
  it('accepts GPU and MIG UUIDs and refuses anything else', () => {
    expect(isGpuUuid(UUID)).toBe(true);
    expect(isGpuUuid('MIG-1-2')).toBe(true);
    for (const bad of ['', 'all', '0', 'GPU-', 'gpu-abc', 'GPU-a b', `GPU-${'x'.repeat(200)}`]) {
      expect(isGpuUuid(bad), bad).toBe(false);
    }
  });

  it('reads a UUID from NVIDIA_VISIBLE_DEVICES, and asks nvidia-smi when the variable names none', () => {
    expect(readVisibleDevices(UUID)).toEqual({ kind: 'uuid', uuid: UUID });
    expect(readVisibleDevices(` ${UUID} `)).toEqual({ kind: 'uuid', uuid: UUID });
    for (const value of [undefined, '', 'void', 'none', 'all', '3']) {
      expect(readVisibleDevices(value).kind, String(value)).toBe('ask-nvidia-smi');
    }
    expect(readVisibleDevices(`${UUID},GPU-other`).kind).toBe('refused');
  });

  it('parses nvidia-smi -L, whole GPUs only', () => {
    expect(uuidsFromNvidiaSmiList(SMI)).toEqual([UUID]);
    expect(uuidsFromNvidiaSmiList('No devices were found')).toEqual([]);
  });

  it('takes the variable first, else exactly one listed GPU', () => {
    expect(deviceUuid(UUID)).toEqual({ ok: true, uuid: UUID, source: 'env' });
    expect(deviceUuid('void', SMI)).toEqual({ ok: true, uuid: UUID, source: 'nvidia-smi' });
    expect(deviceUuid('', undefined)).toMatchObject({ ok: false });
    const two = `${SMI}\nGPU 1: NVIDIA H100 (UUID: GPU-second)`;
    expect(deviceUuid('all', two)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('lists 2 GPUs') as string,
    });
    expect(deviceUuid(`${UUID},${UUID}x`, SMI)).toMatchObject({ ok: false });
  });
});
