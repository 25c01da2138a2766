// The webhook tells a fractional pod's containers their device and share (issue 16): every container
// and init container gets the share variables, resolved by the kubelet from the decision annotations;
// an image's or user's NVIDIA_VISIBLE_DEVICES is replaced; whole-GPU and plain pods get nothing.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARE_ENV_NAMES, shareEnv } from '../../../src/core/devices/share-env.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { admissionService } from '../../support/admission.js';

const vars = shareEnv({ names: DEFAULT_SHARE_ENV_NAMES, hami: true });
const service = admissionService({ shareEnv: vars, maxDeviceMemoryBytes: () => 80 * 1024 ** 3 });

type Json = Record<string, unknown>;
async function admit(object: PodShape): Promise<Json> {
  const decision = await service.review({ operation: 'CREATE', namespace: 'ml', username: 'alice', object });
  if (!decision.allowed) throw new Error('denied');
  return decision.pod as unknown as Json;
}
const containers = (pod: Json, key = 'containers') =>
  ((pod['spec'] as Json)[key] as { name: string; env?: { name: string }[] }[] | undefined) ?? [];

describe('admission: the share environment', () => {
  it('gives every container of a fractional pod the share variables, replacing the user’s', async () => {
    const pod = await admit({
      metadata: { name: 'p', annotations: { 'phalanx.dev/gpu-fraction': '0.5' } },
      spec: {
        initContainers: [{ name: 'init' }],
        containers: [
          {
            name: 'a',
            env: [
              { name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' },
              { name: 'KEEP', value: '1' },
            ],
          },
          { name: 'b' },
        ],
      } as PodShape['spec'],
    });
    for (const c of [...containers(pod), ...containers(pod, 'initContainers')]) {
      const names = (c.env ?? []).map((e) => e.name);
      expect(
        names.filter((n) => n === 'NVIDIA_VISIBLE_DEVICES'),
        c.name,
      ).toHaveLength(1);
      expect(c.env?.slice(-vars.length), c.name).toEqual(vars);
    }
    expect(containers(pod)[0]?.env?.[0]).toEqual({ name: 'KEEP', value: '1' });
  });

  it('does the same for a memory-only request', async () => {
    const pod = await admit({
      metadata: { name: 'p', annotations: { 'phalanx.dev/gpu-memory': '20Gi' } },
      spec: { containers: [{ name: 'a' }] },
    });
    expect(containers(pod)[0]?.env).toEqual(vars);
  });

  it('leaves whole-GPU pods to the device plugin, and pods without a share alone', async () => {
    const whole = await admit({
      metadata: { name: 'w' },
      spec: { containers: [{ name: 'a', resources: { limits: { 'nvidia.com/gpu': '2' } } }] },
    });
    expect(containers(whole)[0]?.env).toBeUndefined();
    const off = admissionService();
    const decision = await off.review({
      operation: 'CREATE',
      namespace: 'ml',
      username: 'alice',
      object: {
        metadata: { name: 'p', annotations: { 'phalanx.dev/gpu-fraction': '0.5' } },
        spec: { containers: [{ name: 'a' }] },
      },
    });
    expect(decision.allowed && containers(decision.pod as unknown as Json)[0]?.env).toBeUndefined();
  });

  it('refuses a forged device UUID at creation', async () => {
    const decision = await service.review({
      operation: 'CREATE',
      namespace: 'ml',
      username: 'alice',
      object: {
        metadata: {
          name: 'p',
          annotations: { 'phalanx.dev/gpu-fraction': '0.5', 'phalanx.dev/gpu-uuid': 'GPU-theirs' },
        },
        spec: { containers: [{ name: 'a' }] },
      },
    });
    expect(decision.allowed).toBe(false);
  });
});
