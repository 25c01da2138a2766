// Fuzzing the webhook's AdmissionReview handling (issue 17): 10 000 generated reviews per property.
// A malformed envelope is a ReviewError (HTTP 400) naming its field; a pod with a field of the wrong
// JSON type is denied naming that field's path; nothing else is ever thrown; and a well-formed review
// is decided exactly as the admission service decides its input (the handler before validation was
// parse + service.review + patch, so a valid review is answered as before).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admissionInput, parseAdmissionReview, ReviewError } from '../../src/webhook/admission-review.js';
import { handleAdmissionReview } from '../../src/webhook/review-handler.js';
import { FakeOwnerReader } from '../fakes/owner-reader.js';
import { admissionService } from '../support/admission.js';
import { mutatedPodArb, pathText, validPodArb } from '../support/pod-fuzz.js';

const RUNS = 10_000;
const owners = new FakeOwnerReader();
owners.jobs.set('ml/j', { parallelism: 4, completions: 4 });
owners.podGroups.set('ml/pg', 3);
const service = admissionService({
  owners,
  levels: ['nvidia.com/gpu.clique', 'topology.kubernetes.io/zone'],
  maxDeviceMemoryBytes: () => 80 * 1024 ** 3,
  limits: { maxGroupSize: 1024, maxGpusPerPod: 64 },
  groupSizeOf: (key) => (key === 'ml/g1' ? 2 : undefined),
});

function review(object: unknown, operation = 'CREATE', oldObject: unknown = null): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'ml',
      operation,
      userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object,
      oldObject,
    },
  };
}

describe('AdmissionReview with a valid pod', () => {
  it('is decided exactly as the service decides it, never throwing', async () => {
    await fc.assert(
      fc.asyncProperty(validPodArb, fc.constantFrom('CREATE', 'UPDATE'), async (pod, operation) => {
        const body = review(pod, operation, operation === 'UPDATE' ? structuredClone(pod) : null);
        const handled = await handleAdmissionReview(body, service);
        const expected = await service.review(admissionInput(parseAdmissionReview(body)));
        expect(handled.decision).toEqual(expected);
        expect(handled.review.response.uid).toBe('u-1');
        expect(handled.review.response.status?.message ?? '').not.toMatch(/internal error/);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('AdmissionReview with a malformed pod', () => {
  it('is denied naming the JSON path of the bad field', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedPodArb, fc.boolean(), async ({ pod, path }, asOld) => {
        // On UPDATE the old object is read too: a bad old object is named under oldObject.
        const body = asOld ? review(validPodBase(), 'UPDATE', pod) : review(pod);
        const handled = await handleAdmissionReview(body, service);
        const field = `${asOld ? 'oldObject.' : ''}${pathText('', path)}`;
        expect(handled.outcome).toBe('denied');
        expect(handled.review.response.allowed).toBe(false);
        expect(handled.review.response.status?.code).toBe(422);
        expect(handled.review.response.status?.message?.startsWith(`phalanx: ${field}: must be `)).toBe(true);
        expect(handled.decision?.allowed === false && handled.decision.reasons[0]?.field).toBe(field);
      }),
      { numRuns: RUNS },
    );
  });
});

let base: Record<string, unknown> | undefined;
function validPodBase(): Record<string, unknown> {
  base ??= fc.sample(validPodArb, { numRuns: 1, seed: 1 })[0]!;
  return structuredClone(base);
}

describe('AdmissionReview envelopes', () => {
  const junk = fc.oneof(
    fc.constant(null),
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
  );
  const FIELDS = [
    'uid',
    'kind',
    'operation',
    'userInfo',
    'namespace',
    'name',
    'object',
    'oldObject',
    'dryRun',
  ];

  it('throw only a ReviewError naming a request field, or are answered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          junk,
          fc.record({
            apiVersion: fc.oneof(junk, fc.constant('admission.k8s.io/v1')),
            kind: junk,
            request: junk,
          }),
          fc
            .tuple(fc.constantFrom(...FIELDS), junk, fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'))
            .map(([field, value, operation]) => {
              const body = review(validPodBase(), operation, validPodBase());
              (body['request'] as Record<string, unknown>)[field] = value;
              return body;
            }),
        ),
        async (body) => {
          try {
            const handled = await handleAdmissionReview(body, service);
            expect(handled.review.response.status?.message ?? '').not.toMatch(/internal error/);
          } catch (err) {
            expect(err).toBeInstanceOf(ReviewError);
            expect((err as ReviewError).field).toMatch(/^(body|apiVersion|kind|request)/);
            expect((err as ReviewError).message.startsWith(`${(err as ReviewError).field}: `)).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
