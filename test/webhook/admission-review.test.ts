import { describe, expect, it } from 'vitest';
import {
  allowedReview,
  deniedReview,
  parseAdmissionReview,
  ReviewError,
} from '../../src/webhook/admission-review.js';

function review(request: Record<string, unknown>, top: Record<string, unknown> = {}): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request, ...top };
}

const valid = {
  uid: 'u-1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  operation: 'CREATE',
  namespace: 'ml',
  userInfo: { username: 'alice' },
  object: { metadata: {} },
  oldObject: null,
};

describe('parseAdmissionReview', () => {
  it('reads the fields the service needs; null RawExtensions are absent', () => {
    expect(parseAdmissionReview(review(valid))).toEqual({
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: 'ml',
      userInfo: { username: 'alice' },
      object: { metadata: {} },
    });
  });

  it.each([
    ['a non-object body', 'not json object', 'body', 'body: must be an object'],
    ['a v1beta1 review', review(valid, { apiVersion: 'admission.k8s.io/v1beta1' }), 'apiVersion', undefined],
    ['another kind', review(valid, { kind: 'TokenReview' }), 'kind', 'kind: must be "AdmissionReview"'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request', undefined],
    [
      'no uid',
      review({ ...valid, uid: undefined }),
      'request.uid',
      'request.uid: must be a non-empty string',
    ],
    ['an empty uid', review({ ...valid, uid: '' }), 'request.uid', undefined],
    ['a numeric uid', review({ ...valid, uid: 7 }), 'request.uid', undefined],
    ['no kind', review({ ...valid, kind: undefined }), 'request.kind', undefined],
    ['an unknown operation', review({ ...valid, operation: 'PATCH' }), 'request.operation', undefined],
    ['no userInfo', review({ ...valid, userInfo: undefined }), 'request.userInfo', undefined],
    ['a CREATE without object', review({ ...valid, object: null }), 'request.object', undefined],
    ['an object that is a list', review({ ...valid, object: [] }), 'request.object', undefined],
    [
      'an UPDATE without oldObject',
      review({ ...valid, operation: 'UPDATE' }),
      'request.oldObject',
      undefined,
    ],
    ['a numeric namespace', review({ ...valid, namespace: 3 }), 'request.namespace', undefined],
  ])('refuses %s, naming the field', (_name, body, field, message) => {
    let caught: unknown;
    try {
      parseAdmissionReview(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ReviewError);
    expect((caught as ReviewError).field).toBe(field);
    if (message !== undefined) expect((caught as ReviewError).message).toBe(message);
  });

  it('accepts a DELETE with no object', () => {
    expect(parseAdmissionReview(review({ ...valid, operation: 'DELETE', object: null })).operation).toBe(
      'DELETE',
    );
  });
});

describe('response envelopes', () => {
  it('allowed without a patch: no patch, no patchType, no warnings', () => {
    expect(allowedReview('u-1', [], [])).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true },
    });
  });

  it('allowed with a patch: base64 of the JSON operations and patchType JSONPatch', () => {
    const patch = [{ op: 'replace', path: '/spec/schedulerName', value: 'phalanx-scheduler' }];
    const { response } = allowedReview('u-2', patch, ['w']);
    expect(response.patchType).toBe('JSONPatch');
    expect(response.patch).toBe(
      'W3sib3AiOiJyZXBsYWNlIiwicGF0aCI6Ii9zcGVjL3NjaGVkdWxlck5hbWUiLCJ2YWx1ZSI6InBoYWxhbngtc2NoZWR1bGVyIn1d',
    );
    expect(response.warnings).toEqual(['w']);
  });

  it('denied: every reason in one message, never a patch', () => {
    const { response } = deniedReview(
      'u-3',
      [
        { field: 'a', rule: 'out-of-range', message: 'first' },
        { field: 'b', rule: 'conflict', message: 'second' },
      ],
      [],
    );
    expect(response).toEqual({
      uid: 'u-3',
      allowed: false,
      status: { code: 422, reason: 'Invalid', message: 'phalanx: first; second', status: 'Failure' },
    });
  });
});
