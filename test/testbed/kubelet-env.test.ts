import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerEnv, expand } from '../../testbed/kubelet-env.js';

describe('the kubelet environment stand-in', () => {
  it('expands $(VAR) from earlier variables, $$ escapes, unknown references stay', () => {
    expect(expand('$(A)m', { A: '40960' })).toBe('40960m');
    expect(expand('$$(A) $(B)', { A: 'x' })).toBe('$(A) $(B)');
  });

  it('resolves fieldRefs (a missing annotation is empty), envFrom, and later entries win', async () => {
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'ml', annotations: { 'phalanx.dev/gpu-uuid': 'GPU-a' } },
      spec: { nodeName: 'n1', containers: [] },
    };
    const container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'X_' }],
      env: [
        { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
        {
          name: 'NVIDIA_VISIBLE_DEVICES',
          valueFrom: { fieldRef: { fieldPath: "metadata.annotations['phalanx.dev/gpu-uuid']" } },
        },
        {
          name: 'MIB',
          valueFrom: { fieldRef: { fieldPath: "metadata.annotations['phalanx.dev/gpu-memory-mib']" } },
        },
        { name: 'LIMIT', value: '$(MIB)m' },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      ],
    };
    const env = await containerEnv(pod, container, {
      configMap: () => Promise.resolve({ K: 'v' }),
      secret: () => Promise.resolve(undefined),
    });
    expect(env).toEqual({ X_K: 'v', NVIDIA_VISIBLE_DEVICES: 'GPU-a', MIB: '', LIMIT: 'm', NODE: 'n1' });
  });
});
