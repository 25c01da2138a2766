import { describe, expect, it } from 'vitest';
import type { NodeShape } from '../../src/core/kube-shapes.js';
import { NodeIndex } from '../../src/kube/node-index.js';

const apiNode = {
  metadata: {
    name: 'n1',
    labels: { pool: 'a' },
    annotations: { big: 'x'.repeat(10_000) },
    managedFields: [{ manager: 'kubelet' }],
  },
  spec: {
    unschedulable: true,
    taints: [{ key: 'pool', value: 'b', effect: 'NoSchedule' }],
    podCIDR: '10.0.0.0/24',
  },
  status: {
    allocatable: { cpu: '96', 'nvidia.com/gpu': '8' },
    capacity: { cpu: '96' },
    conditions: [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
    images: [{ names: ['registry/some-image:1'], sizeBytes: 1 }],
  },
} as unknown as NodeShape;

describe('NodeIndex', () => {
  it('keeps only what the node rules read', () => {
    const index = new NodeIndex();
    index.upsert(apiNode);
    expect(index.get('n1')).toEqual({
      metadata: { name: 'n1', labels: { pool: 'a' } },
      spec: { unschedulable: true, taints: [{ key: 'pool', value: 'b', effect: 'NoSchedule' }] },
      status: {
        allocatable: { cpu: '96', 'nvidia.com/gpu': '8' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
  });

  it('moves its version on every change, so derived counts are recomputed', () => {
    const index = new NodeIndex();
    const v0 = index.version;
    index.upsert(apiNode);
    const v1 = index.version;
    index.remove('n1');
    index.remove('n1');
    expect(v1).toBeGreaterThan(v0);
    expect(index.version).toBe(v1 + 1);
    expect(index.get('n1')).toBeUndefined();
  });
});
