// One gang over several workloads (disaggregated inference: CPU-only frontend and router beside GPU
// prefill and decode workers): admission routes the CPU-only members to the extender with a
// phalanx.dev/gpu-milli request of 0, so they take their place in the gang's plan.
import { admissionService } from '../../support/admission.js';
import { describe, expect, it } from 'vitest';
import type { PodShape } from '../../../src/core/kube-shapes.js';

const service = admissionService();

function pod(
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
  limits: Record<string, string> = {},
): PodShape {
  return {
    metadata: { generateName: 'p-', annotations, labels },
    spec: { containers: [{ name: 'main', resources: { requests: { cpu: '2' }, limits } }] },
  };
}

async function mutated(object: PodShape): Promise<PodShape> {
  const decision = await service.review({ operation: 'CREATE', namespace: 'serve', username: 'u', object });
  if (!decision.allowed) throw new Error(decision.reasons.map((r) => r.message).join('; '));
  return decision.pod as PodShape;
}

const graph = { 'phalanx.dev/pod-group': 'llama', 'phalanx.dev/group-size': '6' };

describe('CPU-only members of an explicit gang', () => {
  it('get a gpu-milli request and limit of 0 and the Phalanx scheduler', async () => {
    const out = await mutated(pod(graph));
    const resources = out.spec?.containers?.[0]?.resources;
    expect(resources?.requests).toEqual({ cpu: '2', 'phalanx.dev/gpu-milli': '0' });
    expect(resources?.limits).toEqual({ 'phalanx.dev/gpu-milli': '0' });
    expect(out.spec?.schedulerName).toBe('phalanx-scheduler');
  });

  it('leave GPU members of the same gang as they asked', async () => {
    const out = await mutated(pod(graph, {}, { 'nvidia.com/gpu': '4' }));
    expect(out.spec?.containers?.[0]?.resources?.limits).toEqual({ 'nvidia.com/gpu': '4' });
    expect(out.spec?.containers?.[0]?.resources?.requests).toEqual({ cpu: '2' });
  });

  it('are left alone in derived gangs: an LWS CPU-only leader starts before its workers exist', async () => {
    const leader = pod(
      { 'leaderworkerset.sigs.k8s.io/size': '3' },
      {
        'leaderworkerset.sigs.k8s.io/name': 'decode',
        'leaderworkerset.sigs.k8s.io/group-index': '0',
        'leaderworkerset.sigs.k8s.io/worker-index': '0',
      },
    );
    const out = await mutated(leader);
    expect(out.metadata?.annotations?.['phalanx.dev/pod-group']).toBe('decode-0');
    expect(out.spec?.containers?.[0]?.resources?.requests).toEqual({ cpu: '2' });
  });
});
