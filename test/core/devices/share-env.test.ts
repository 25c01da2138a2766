import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SHARE_ENV_NAMES,
  formatFraction,
  shareAnnotations,
  shareEnv,
} from '../../../src/core/devices/share-env.js';

const MiB = 1024 * 1024;

describe('the share runtime contract', () => {
  it('points the device variable and the share at the decision annotations', () => {
    expect(shareEnv({ names: DEFAULT_SHARE_ENV_NAMES, hami: false })).toEqual([
      {
        name: 'NVIDIA_VISIBLE_DEVICES',
        valueFrom: { fieldRef: { fieldPath: "metadata.annotations['phalanx.dev/gpu-uuid']" } },
      },
      {
        name: 'PHALANX_GPU_FRACTION',
        valueFrom: { fieldRef: { fieldPath: "metadata.annotations['phalanx.dev/gpu-share']" } },
      },
      {
        name: 'PHALANX_GPU_MEMORY_MIB',
        valueFrom: { fieldRef: { fieldPath: "metadata.annotations['phalanx.dev/gpu-memory-mib']" } },
      },
    ]);
  });

  it('adds HAMi-core limits when enabled, with the configured names', () => {
    const names = { ...DEFAULT_SHARE_ENV_NAMES, memoryMib: 'MEM' };
    const vars = shareEnv({ names, hami: true });
    expect(vars.slice(3)).toEqual([
      { name: 'CUDA_DEVICE_MEMORY_LIMIT', value: '$(MEM)m' },
      {
        name: 'CUDA_DEVICE_SM_LIMIT',
        valueFrom: { fieldRef: { fieldPath: "metadata.annotations['phalanx.dev/gpu-sm-limit']" } },
      },
    ]);
  });

  it('formats fractions without trailing zeros', () => {
    expect([500, 250, 125, 1, 999].map(formatFraction)).toEqual(['0.5', '0.25', '0.125', '0.001', '0.999']);
  });

  it('derives the share annotations: memory asked for, else the fraction of the device', () => {
    const share = { node: 'n', whole: false, devices: [{ index: 2, milli: 500, memoryBytes: 0 }] };
    expect(shareAnnotations(share, 'GPU-x', 80 * 1024 * MiB)).toEqual({
      'phalanx.dev/gpu-uuid': 'GPU-x',
      'phalanx.dev/gpu-share': '0.5',
      'phalanx.dev/gpu-memory-mib': '40960',
      'phalanx.dev/gpu-sm-limit': '50',
    });
    const withMemory = { ...share, devices: [{ index: 2, milli: 1, memoryBytes: 20 * 1024 * MiB }] };
    expect(shareAnnotations(withMemory, 'GPU-x', 80 * 1024 * MiB)).toMatchObject({
      'phalanx.dev/gpu-memory-mib': '20480',
      'phalanx.dev/gpu-sm-limit': '1',
    });
    expect(
      shareAnnotations(
        { node: 'n', whole: true, devices: [{ index: 0, milli: 1000, memoryBytes: 0 }] },
        'GPU-x',
        0,
      ),
    ).toBeUndefined();
  });
});
