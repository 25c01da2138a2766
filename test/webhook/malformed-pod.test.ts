// A pod whose fields have the wrong JSON types is denied naming the path (issue 17: `spec.containers:
// "x"` used to be answered "internal error: forEach is not a function").
import { describe, expect, it } from 'vitest';
import { handleAdmissionReview } from '../../src/webhook/review-handler.js';
import { admissionService } from '../support/admission.js';

function review(object: unknown, operation = 'CREATE', oldObject: unknown = null) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'ml',
      operation,
      userInfo: { username: 'alice' },
      object,
      oldObject,
    },
  };
}

const good = { metadata: { name: 'p', annotations: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } };

describe('a malformed pod at admission', () => {
  it.each([
    [{ metadata: { name: 'p' }, spec: { containers: 'x' } }, 'spec.containers', 'must be an array'],
    [
      { metadata: { name: 'p', annotations: { 'phalanx.dev/group-size': 4 } }, spec: {} },
      'metadata.annotations[phalanx.dev/group-size]',
      'must be a string',
    ],
    [
      { spec: { containers: [{ resources: { limits: { 'nvidia.com/gpu': [] } } }] } },
      'spec.containers[0].resources.limits[nvidia.com/gpu]',
      'must be a string or a number (a Kubernetes quantity)',
    ],
    [
      { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{}] } } } },
      'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey',
      'must be a string',
    ],
  ])('is denied naming the path (%#)', async (pod, field, message) => {
    const handled = await handleAdmissionReview(review(pod), admissionService());
    expect(handled.outcome).toBe('denied');
    expect(handled.review.response).toMatchObject({
      allowed: false,
      status: { code: 422, message: `phalanx: ${field}: ${message}` },
    });
  });

  it('names the old object on UPDATE', async () => {
    const handled = await handleAdmissionReview(
      review(good, 'UPDATE', { metadata: { annotations: ['x'] } }),
      admissionService(),
    );
    expect(handled.review.response.status?.message).toBe(
      'phalanx: oldObject.metadata.annotations: must be an object',
    );
  });

  it('lets a pod with null optional fields (as Go encodes them) through to the decision', async () => {
    const pod = {
      metadata: { name: 'p', creationTimestamp: null, labels: null },
      spec: { containers: [{ name: 'c', resources: {} }] },
    };
    const handled = await handleAdmissionReview(review(pod), admissionService());
    expect(handled.review.response.allowed).toBe(true);
  });
});
