// The GPU models a pod's node selection allows become PodDemand.models, so the placement policy's
// model-demand term learns from live pods (not only from replayed traces).
import { describe, expect, it } from 'vitest';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { allowedModels, parsePodDemand } from '../../src/core/pod-demand.js';

const PRODUCT = 'nvidia.com/gpu.product';

function gpuPod(spec: Partial<NonNullable<PodShape['spec']>>): PodShape {
  return {
    metadata: { name: 'p', namespace: 'ml' },
    spec: { containers: [{ name: 'm', resources: { limits: { 'nvidia.com/gpu': '1' } } }], ...spec },
  };
}

const affinity = (...terms: { key: string; operator: string; values?: string[] }[][]) => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })),
    },
  },
});

describe('allowedModels', () => {
  it.each([
    ['no selection', {}, []],
    ['a nodeSelector on the product', { nodeSelector: { [PRODUCT]: 'Tesla-T4' } }, ['Tesla-T4']],
    ['a nodeSelector on another label', { nodeSelector: { pool: 'a' } }, []],
    [
      'In on the product in every term (union, sorted)',
      {
        affinity: affinity(
          [{ key: PRODUCT, operator: 'In', values: ['V100', 'A100'] }],
          [{ key: PRODUCT, operator: 'In', values: ['T4'] }],
        ),
      },
      ['A100', 'T4', 'V100'],
    ],
    [
      'a term without a product constraint allows any model',
      {
        affinity: affinity(
          [{ key: PRODUCT, operator: 'In', values: ['A100'] }],
          [{ key: 'pool', operator: 'In', values: ['a'] }],
        ),
      },
      [],
    ],
    [
      'NotIn says which models are refused, not which are allowed',
      { affinity: affinity([{ key: PRODUCT, operator: 'NotIn', values: ['T4'] }]) },
      [],
    ],
  ])('%s', (_name, spec, expected) => {
    expect(allowedModels(gpuPod(spec))).toEqual(expected);
  });

  it('reaches the parsed demand of GPU pods only', () => {
    expect(parsePodDemand(gpuPod({ nodeSelector: { [PRODUCT]: 'Tesla-T4' } })).models).toEqual(['Tesla-T4']);
    const cpuOnly: PodShape = {
      metadata: { name: 'c' },
      spec: { nodeSelector: { [PRODUCT]: 'Tesla-T4' }, containers: [{ name: 'm' }] },
    };
    expect(parsePodDemand(cpuOnly).models).toBeUndefined();
  });
});
