// Gang sizes from every source are bounded at admission by limits.maxGroupSize, and whole GPUs by
// limits.maxGpusPerPod; each refusal names where the number came from and the limit.
import { describe, expect, it } from 'vitest';
import { groupSizeFromIndex, statedGroupSize } from '../../../src/app/admission/gang-sizes.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { FakeOwnerReader } from '../../fakes/owner-reader.js';
import { admissionService } from '../../support/admission.js';

function pod(annotations: Record<string, string>, labels: Record<string, string> = {}, gpus = '1'): PodShape {
  return {
    metadata: { name: 'p', namespace: 'ml', annotations, labels },
    spec: { containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': gpus } } }] },
  };
}

async function refusal(p: PodShape, owners = new FakeOwnerReader()) {
  const decision = await admissionService({ owners, limits: { maxGroupSize: 16, maxGpusPerPod: 8 } }).review({
    operation: 'CREATE',
    namespace: 'ml',
    username: 'alice',
    object: p,
  });
  return decision.allowed ? [] : decision.reasons.map((r) => r.message);
}

describe('limits at admission', () => {
  it('refuses phalanx.dev/group-size past the limit (issue 17: "999999999")', async () => {
    expect(
      await refusal(pod({ 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '999999999' })),
    ).toEqual([
      'annotation phalanx.dev/group-size: "999999999" is more than the largest gang allowed, 16 members (setting limits.maxGroupSize)',
    ]);
    expect(await refusal(pod({ 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '16' }))).toEqual([]);
  });

  it('refuses a LeaderWorkerSet size, Job parallelism and PodGroup minMember past the limit, naming the source', async () => {
    const owners = new FakeOwnerReader();
    owners.jobs.set('ml/big', { parallelism: 100_000 });
    owners.podGroups.set('ml/pg', 17);
    const lws = await refusal(
      pod(
        { 'leaderworkerset.sigs.k8s.io/size': '2000000000' },
        { 'leaderworkerset.sigs.k8s.io/name': 'l', 'leaderworkerset.sigs.k8s.io/group-index': '0' },
      ),
      owners,
    );
    expect(lws[0]).toMatch(
      /^annotation leaderworkerset\.sigs\.k8s\.io\/size: "2000000000" is more than the largest gang allowed, 16/,
    );
    const job = await refusal(
      pod({}, { 'batch.kubernetes.io/job-name': 'big', 'batch.kubernetes.io/job-completion-index': '0' }),
      owners,
    );
    expect(job[0]).toMatch(/^Job ml\/big parallelism: "100000" is more than the largest gang allowed, 16/);
    const pg = await refusal(pod({}, { 'scheduling.x-k8s.io/pod-group': 'pg' }), owners);
    expect(pg[0]).toMatch(/^PodGroup ml\/pg spec\.minMember: "17" is more than the largest gang allowed, 16/);
  });

  it('refuses more whole GPUs than limits.maxGpusPerPod', async () => {
    expect(await refusal(pod({}, {}, '9'))).toEqual([
      'resource nvidia.com/gpu: 9 whole GPUs is more than one pod may ask for, 8 (setting limits.maxGpusPerPod)',
    ]);
    expect(await refusal(pod({}, {}, '8'))).toEqual([]);
  });
});

describe('group size agreement from the informer index', () => {
  const member = (size: string, extra: Partial<PodShape['metadata']> = {}, phase = 'Running'): PodShape => ({
    metadata: { annotations: { 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': size }, ...extra },
    status: { phase },
  });

  it('takes the size live members state, ignoring finished and terminating ones', () => {
    expect(statedGroupSize([])).toBeUndefined();
    expect(statedGroupSize([member('4'), member('4'), member('3')])).toBe(4);
    expect(
      statedGroupSize([member('8', {}, 'Succeeded'), member('8', { deletionTimestamp: 'x' }), member('2')]),
    ).toBe(2);
    expect(statedGroupSize([member('x')])).toBeUndefined();
  });

  it('refuses a new member whose size disagrees with its siblings when wired to an index', async () => {
    const index = { members: (key: string) => (key === 'ml/g' ? [member('4'), member('4')] : []) };
    const service = admissionService({ groupSizeOf: groupSizeFromIndex(index) });
    const decision = await service.review({
      operation: 'CREATE',
      namespace: 'ml',
      username: 'alice',
      object: pod({ 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': '5' }),
    });
    expect(decision.allowed).toBe(false);
    expect(!decision.allowed && decision.reasons[0]?.message).toMatch(
      /5 disagrees with the other members of gang ml\/g, which have size 4/,
    );
  });
});
