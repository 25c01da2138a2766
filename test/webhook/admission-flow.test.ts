// Recorded AdmissionReviews (test/fixtures/admission) through the whole decision: parse, service,
// JSON patch, envelope. Every allowed review's patch is decoded and applied to the original object
// with fast-json-patch, and the resulting pod is asserted.
import { admissionService } from '../support/admission.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AdmissionService } from '../../src/app/admission/admission-service.js';
import { type AdmissionServiceOptions } from '../../src/app/admission/admission-service.js';
import { DEFAULT_TOPOLOGY_LEVELS } from '../../src/core/names.js';
import type { AdmissionReviewResponse } from '../../src/webhook/admission-review.js';
import { handleAdmissionReview } from '../../src/webhook/review-handler.js';
import { FakeOwnerReader } from '../fakes/owner-reader.js';

const GiB = 1024 ** 3;
const PHALANX_SA = 'system:serviceaccount:phalanx-system:phalanx';

interface Fixture {
  request: { uid: string; object: Record<string, unknown> };
}

function fixture(name: string): Fixture {
  return JSON.parse(
    readFileSync(join(import.meta.dirname, '../fixtures/admission', `${name}.json`), 'utf8'),
  ) as Fixture;
}

let owners: FakeOwnerReader;
function service(overrides: Partial<AdmissionServiceOptions> = {}): AdmissionService {
  return admissionService({
    owners,
    trustedUsernames: [PHALANX_SA],
    levels: DEFAULT_TOPOLOGY_LEVELS,
    maxDeviceMemoryBytes: () => 80 * GiB,
    ...overrides,
  });
}

beforeEach(() => {
  owners = new FakeOwnerReader();
  owners.jobs.set('ml/train-workers-2', { parallelism: 4, completions: 4 });
  owners.jobs.set('ml/finetune', { parallelism: 8, completions: 16 });
  owners.podGroups.set('ml/ray-cluster', 3);
});

interface Admitted {
  review: AdmissionReviewResponse;
  patch: Operation[];
  original: Record<string, unknown>;
  pod: Record<string, unknown>;
}

async function admit(name: string, svc = service()): Promise<Admitted> {
  const body = fixture(name);
  const { review } = await handleAdmissionReview(body, svc);
  expect(review.apiVersion).toBe('admission.k8s.io/v1');
  expect(review.kind).toBe('AdmissionReview');
  expect(review.response.uid).toBe(body.request.uid);
  const patch: Operation[] =
    review.response.patch === undefined
      ? []
      : (JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8')) as Operation[]);
  expect(review.response.patchType).toBe(patch.length > 0 ? 'JSONPatch' : undefined);
  const original = structuredClone(body.request.object);
  const pod = jsonpatch.applyPatch(structuredClone(original), patch, true, false).newDocument;
  return { review, patch, original, pod };
}

type Quantities = Record<string, string>;
interface TestContainer {
  resources?: { requests?: Quantities; limits?: Quantities };
}
interface TestPod {
  metadata: { annotations: Record<string, string> };
  spec: { schedulerName: string; containers: [TestContainer, ...TestContainer[]] };
}

/** The original with the expected edits applied by hand (never by the code under test). */
function edited(original: Record<string, unknown>, edit: (pod: TestPod) => void): Record<string, unknown> {
  const copy = structuredClone(original);
  edit(copy as unknown as TestPod);
  return copy;
}

describe('workload kinds', () => {
  it('LeaderWorkerSet leader: group <lws>-<group-index>, size from the LWS annotation, routed', async () => {
    const { review, original, pod } = await admit('lws-leader');
    expect(review.response.allowed).toBe(true);
    expect(pod).toEqual(
      edited(original, (p) => {
        p.metadata.annotations['phalanx.dev/pod-group'] = 'llama-405b-1';
        p.metadata.annotations['phalanx.dev/group-size'] = '4';
        p.spec.schedulerName = 'phalanx-scheduler';
      }),
    );
  });

  it('LeaderWorkerSet worker joins the same group', async () => {
    const { pod } = await admit('lws-worker');
    expect(pod).toMatchObject({
      metadata: { annotations: { 'phalanx.dev/pod-group': 'llama-405b-1', 'phalanx.dev/group-size': '4' } },
      spec: { schedulerName: 'phalanx-scheduler' },
    });
  });

  it('JobSet: one gang per child Job, sized by the Job parallelism', async () => {
    const { original, pod } = await admit('jobset');
    expect(owners.calls).toEqual(['job ml/train-workers-2']);
    expect(pod).toEqual(
      edited(original, (p) => {
        p.metadata.annotations['phalanx.dev/pod-group'] = 'train-workers-2';
        p.metadata.annotations['phalanx.dev/group-size'] = '4';
        p.spec.schedulerName = 'phalanx-scheduler';
      }),
    );
  });

  it('indexed Job: the Job name, sized by parallelism when completions are more', async () => {
    const { pod } = await admit('indexed-job');
    expect(owners.calls).toEqual(['job ml/finetune']);
    expect(pod).toMatchObject({
      metadata: { annotations: { 'phalanx.dev/pod-group': 'finetune', 'phalanx.dev/group-size': '8' } },
    });
  });

  it('coscheduling label: sized by the PodGroup minMember', async () => {
    const { original, pod } = await admit('coscheduling');
    expect(pod).toEqual(
      edited(original, (p) => {
        p.metadata.annotations = { 'phalanx.dev/pod-group': 'ray-cluster', 'phalanx.dev/group-size': '3' };
        p.spec.schedulerName = 'phalanx-scheduler';
      }),
    );
  });

  it('explicit annotations win over workload labels and are left as written', async () => {
    const { original, pod, patch } = await admit('explicit');
    expect(patch).toEqual([{ op: 'replace', path: '/spec/schedulerName', value: 'phalanx-scheduler' }]);
    expect(pod).toEqual(edited(original, (p) => (p.spec.schedulerName = 'phalanx-scheduler')));
  });

  it.each(['plain', 'indexed-job-cpu'])('%s pod is allowed untouched, with no patch', async (name) => {
    const { review, patch } = await admit(name);
    expect(review.response).toEqual({ uid: fixture(name).request.uid, allowed: true });
    expect(patch).toEqual([]);
    expect(owners.calls).toEqual([]);
  });
});

describe('GPU requests', () => {
  it('aliases become canonical annotations; a countable share is added to the first container', async () => {
    const { review, original, pod, patch } = await admit('fraction-alias');
    expect(pod).toEqual(
      edited(original, (p) => {
        p.metadata.annotations['phalanx.dev/gpu-fraction'] = '0.25';
        p.metadata.annotations['phalanx.dev/topology-preferred'] = 'nvidia.com/gpu.clique';
        p.spec.containers[0].resources = {
          requests: { 'phalanx.dev/gpu-milli': '250' },
          limits: { 'phalanx.dev/gpu-milli': '250' },
        };
        p.spec.schedulerName = 'phalanx-scheduler';
      }),
    );
    // The first container had no resources map: the patch adds the whole map; '/' is escaped as ~1.
    expect(patch).toContainEqual({
      op: 'add',
      path: '/spec/containers/0/resources',
      value: { requests: { 'phalanx.dev/gpu-milli': '250' }, limits: { 'phalanx.dev/gpu-milli': '250' } },
    });
    expect(patch).toContainEqual({
      op: 'add',
      path: '/metadata/annotations/phalanx.dev~1gpu-fraction',
      value: '0.25',
    });
    expect(review.response.warnings).toEqual([
      'annotation gpu-fraction is deprecated; use phalanx.dev/gpu-fraction',
      'annotation kai.scheduler/topology-preferred-placement is deprecated; use phalanx.dev/topology-preferred',
    ]);
  });

  it('canonical fraction with memory: share added next to existing requests', async () => {
    const { original, pod } = await admit('fraction-canonical');
    expect(pod).toEqual(
      edited(original, (p) => {
        p.spec.containers[0].resources = {
          requests: { ...p.spec.containers[0].resources?.requests, 'phalanx.dev/gpu-milli': '500' },
          limits: { 'phalanx.dev/gpu-milli': '500' },
        };
        p.spec.schedulerName = 'phalanx-scheduler';
      }),
    );
  });

  it('memory only: share = ceil(1000 × memory / largest device) (20 GiB of 80 GiB → 250)', async () => {
    const { pod } = await admit('memory-only');
    expect(pod).toMatchObject({
      metadata: { annotations: { 'gpu-memory': '20480', 'phalanx.dev/gpu-memory': '20480' } },
      spec: {
        containers: [
          {
            resources: {
              requests: { 'phalanx.dev/gpu-milli': '250' },
              limits: { 'phalanx.dev/gpu-milli': '250' },
            },
          },
        ],
      },
    });
  });

  it('memory only with the largest device unknown: no share, a warning says so', async () => {
    const { review, pod } = await admit('memory-only', service({ maxDeviceMemoryBytes: () => undefined }));
    const containers = (pod as { spec: { containers: { resources: { requests: object } }[] } }).spec
      .containers;
    expect(containers[0]?.resources.requests).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(review.response.warnings).toContain(
      "GPU memory size unknown: no phalanx.dev/gpu-milli added, so quota cannot count this pod's share",
    );
  });

  it('routeToScheduler off leaves schedulerName alone', async () => {
    const { pod } = await admit('lws-worker', service({ routeToScheduler: false }));
    expect((pod as { spec: { schedulerName: string } }).spec.schedulerName).toBe('default-scheduler');
  });
});

describe('gang gate', () => {
  it('gates gang members when enabled, creating the list', async () => {
    const { pod, patch } = await admit('lws-worker', service({ gateGangs: true }));
    expect((pod as { spec: { schedulingGates: unknown } }).spec.schedulingGates).toEqual([
      { name: 'phalanx.dev/gang' },
    ]);
    expect(patch).toContainEqual({
      op: 'add',
      path: '/spec/schedulingGates',
      value: [{ name: 'phalanx.dev/gang' }],
    });
  });

  it('never gates a LeaderWorkerSet leader (with LeaderReady its workers wait for it)', async () => {
    const { pod } = await admit('lws-leader', service({ gateGangs: true }));
    expect((pod as { spec: Record<string, unknown> }).spec['schedulingGates']).toBeUndefined();
  });

  it('does not gate by default', async () => {
    const { pod } = await admit('jobset');
    expect((pod as { spec: Record<string, unknown> }).spec['schedulingGates']).toBeUndefined();
  });
});

describe('denials', () => {
  it.each([
    [
      'deny-fraction-out-of-range',
      422,
      'phalanx: annotation phalanx.dev/gpu-fraction: "1.5" must be a number in (0, 1)',
    ],
    [
      'deny-fraction-not-a-number',
      422,
      'phalanx: annotation gpu-fraction: "half" must be a number in (0, 1)',
    ],
    [
      'deny-fraction-with-whole',
      422,
      'phalanx: annotation phalanx.dev/gpu-fraction: asks for part of one GPU, but the pod also requests 1 whole ' +
        'nvidia.com/gpu; ask for one or the other',
    ],
    [
      'deny-memory-too-large',
      422,
      'phalanx: annotation phalanx.dev/gpu-memory: 200Gi is more than the largest GPU in the cluster (80Gi)',
    ],
    [
      'deny-group-size-zero',
      422,
      'phalanx: annotation phalanx.dev/group-size: "0" must be a whole number ≥ 1',
    ],
    [
      'deny-gang-commit-unknown',
      422,
      'phalanx: annotation phalanx.dev/gang-commit: "sometimes" must be barrier or eager',
    ],
    [
      'deny-group-size-not-integer',
      422,
      'phalanx: annotation leaderworkerset.sigs.k8s.io/size: "four" must be a whole number ≥ 1 (the gang size)',
    ],
    [
      'deny-unknown-level',
      422,
      'phalanx: annotation phalanx.dev/topology-required: "rack" is not a topology level; known levels, closest ' +
        'first: node, nvidia.com/gpu.clique, network.topology.nvidia.com/leaf, topology.kubernetes.io/zone',
    ],
    [
      'deny-forged-decision',
      403,
      'phalanx: annotation phalanx.dev/gpu-devices: written only by the Phalanx extender when it binds the pod; ' +
        'remove it; annotation phalanx.dev/placement-level: written only by the Phalanx extender when it binds ' +
        'the pod; remove it',
    ],
    [
      'update-forged-decision',
      403,
      'phalanx: annotation phalanx.dev/gpu-devices: changed only by the Phalanx extender when it binds the pod; remove it',
    ],
  ])('%s', async (name, code, message) => {
    const { review, patch } = await admit(name);
    expect(review.response.allowed).toBe(false);
    expect(review.response.status).toEqual({
      code,
      reason: code === 403 ? 'Forbidden' : 'Invalid',
      message,
      status: 'Failure',
    });
    expect(review.response.patch).toBeUndefined();
    expect(patch).toEqual([]);
  });

  it('a gang member whose size disagrees with members already seen', async () => {
    const { review } = await admit(
      'lws-worker',
      service({ groupSizeOf: (key) => (key === 'ml/llama-405b-1' ? 5 : undefined) }),
    );
    expect(review.response.status?.message).toBe(
      'phalanx: annotation phalanx.dev/group-size: 4 disagrees with the other members of gang ml/llama-405b-1, ' +
        'which have size 5',
    );
  });

  it('an owner lookup failure refuses the pod and says what could not be read', async () => {
    owners.failures.set('job ml/finetune', 'jobs.batch "finetune" is forbidden');
    const { review } = await admit('indexed-job');
    expect(review.response.status?.message).toBe(
      'phalanx: metadata.labels[batch.kubernetes.io/job-name]: cannot read Job ml/finetune to size the gang ' +
        '(jobs.batch "finetune" is forbidden); retry shortly',
    );
  });

  it('a missing owner refuses the pod and says how to fix it', async () => {
    owners.podGroups.clear();
    const { review } = await admit('coscheduling');
    expect(review.response.status?.message).toBe(
      'phalanx: metadata.labels[scheduling.x-k8s.io/pod-group]: PodGroup ml/ray-cluster not found; create it ' +
        'first or set phalanx.dev/group-size',
    );
  });
});

describe('UPDATE', () => {
  it.each(['update-unrelated', 'update-by-phalanx'])('%s is allowed with no patch', async (name) => {
    const { review } = await admit(name);
    expect(review.response).toEqual({ uid: fixture(name).request.uid, allowed: true });
  });
});
