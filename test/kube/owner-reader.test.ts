import { ApiException, type V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ApiOwnerReader, type OwnerReaderApis } from '../../src/kube/owner-reader.js';

const notFound = () => new ApiException(404, 'not found', { message: 'not found' }, {});

class FakeOwnerApis implements OwnerReaderApis {
  readonly jobs = new Map<string, V1Job>();
  readonly podGroups = new Map<string, unknown>();
  /** scheduling.k8s.io PodGroups; `served: false` answers 404 for the whole group (Kubernetes 1.33). */
  readonly workloadPodGroups = new Map<string, unknown>();
  served = true;
  readonly failStatus = new Map<string, number>();
  readonly calls: string[] = [];

  readonly batch = {
    readNamespacedJob: (p: { name: string; namespace: string }): Promise<V1Job> => {
      const key = `${p.namespace}/${p.name}`;
      this.calls.push(`job ${key}`);
      return this.#answer(`job ${key}`, this.jobs.get(key));
    },
  };

  readonly customObjects = {
    getNamespacedCustomObject: (p: {
      group: string;
      version: string;
      plural: string;
      namespace: string;
      name: string;
    }): Promise<unknown> => {
      const key = `${p.namespace}/${p.name}`;
      this.calls.push(`${p.plural}.${p.version}.${p.group} ${key}`);
      if (p.group === 'scheduling.k8s.io') {
        if (!this.served) return Promise.reject(notFound());
        return this.#answer(`workload-podgroup ${key}`, this.workloadPodGroups.get(key));
      }
      return this.#answer(`podgroup ${key}`, this.podGroups.get(key));
    },
  };

  #answer<T>(key: string, value: T | undefined): Promise<T> {
    const status = this.failStatus.get(key);
    if (status !== undefined)
      return Promise.reject(new ApiException(status, 'boom', { message: 'boom' }, {}));
    return value === undefined ? Promise.reject(notFound()) : Promise.resolve(value);
  }
}

describe('ApiOwnerReader', () => {
  it('reads a Job’s parallelism and completions', async () => {
    const apis = new FakeOwnerApis();
    apis.jobs.set('ml/train', { spec: { parallelism: 4, completions: 8, template: {} } });
    const reader = new ApiOwnerReader(apis);
    expect(await reader.readJob('ml', 'train')).toEqual({ parallelism: 4, completions: 8 });
  });

  it('leaves unset Job fields out', async () => {
    const apis = new FakeOwnerApis();
    apis.jobs.set('ml/train', { spec: { template: {} } });
    expect(await new ApiOwnerReader(apis).readJob('ml', 'train')).toEqual({});
  });

  it('answers undefined for a missing Job or PodGroup and does not remember the miss', async () => {
    const apis = new FakeOwnerApis();
    const reader = new ApiOwnerReader(apis);
    expect(await reader.readJob('ml', 'gone')).toBeUndefined();
    expect(await reader.readPodGroupMinMember('ml', 'late')).toBeUndefined();
    apis.podGroups.set('ml/late', { spec: { minMember: 3 } });
    expect(await reader.readPodGroupMinMember('ml', 'late')).toBe(3);
    expect(apis.calls).toEqual([
      'job ml/gone',
      'podgroups.v1alpha1.scheduling.x-k8s.io ml/late',
      'podgroups.v1alpha1.scheduling.x-k8s.io ml/late',
    ]);
  });

  it('rejects on other API errors', async () => {
    const apis = new FakeOwnerApis();
    apis.failStatus.set('job ml/train', 403);
    apis.failStatus.set('podgroup ml/g', 500);
    const reader = new ApiOwnerReader(apis);
    await expect(reader.readJob('ml', 'train')).rejects.toMatchObject({ code: 403 });
    await expect(reader.readPodGroupMinMember('ml', 'g')).rejects.toMatchObject({ code: 500 });
  });

  it('rejects a PodGroup whose minMember is not a whole number', async () => {
    const apis = new FakeOwnerApis();
    apis.podGroups.set('ml/g', { spec: { minMember: '3' } });
    await expect(new ApiOwnerReader(apis).readPodGroupMinMember('ml', 'g')).rejects.toThrow(
      /spec.minMember is "3"/,
    );
  });

  it('memoises answers and shares one request among concurrent lookups', async () => {
    const apis = new FakeOwnerApis();
    apis.jobs.set('ml/train', { spec: { parallelism: 2, template: {} } });
    apis.podGroups.set('ml/g', { spec: { minMember: 5 } });
    const reader = new ApiOwnerReader(apis);
    const answers = await Promise.all([
      reader.readJob('ml', 'train'),
      reader.readJob('ml', 'train'),
      reader.readPodGroupMinMember('ml', 'g'),
      reader.readPodGroupMinMember('ml', 'g'),
    ]);
    expect(answers).toEqual([{ parallelism: 2 }, { parallelism: 2 }, 5, 5]);
    expect(await reader.readJob('ml', 'train')).toEqual({ parallelism: 2 });
    expect(apis.calls).toEqual(['job ml/train', 'podgroups.v1alpha1.scheduling.x-k8s.io ml/g']);
  });

  it('keeps a Job and a PodGroup of the same name apart', async () => {
    const apis = new FakeOwnerApis();
    apis.jobs.set('ml/x', { spec: { parallelism: 2, template: {} } });
    apis.podGroups.set('ml/x', { spec: { minMember: 7 } });
    const reader = new ApiOwnerReader(apis);
    expect(await reader.readJob('ml', 'x')).toEqual({ parallelism: 2 });
    expect(await reader.readPodGroupMinMember('ml', 'x')).toBe(7);
  });

  it('asks again once the memo expires', async () => {
    const apis = new FakeOwnerApis();
    apis.jobs.set('ml/train', { spec: { parallelism: 2, template: {} } });
    const reader = new ApiOwnerReader(apis, { ttlMs: 1 });
    await reader.readJob('ml', 'train');
    await new Promise((r) => setTimeout(r, 15));
    apis.jobs.set('ml/train', { spec: { parallelism: 6, template: {} } });
    expect(await reader.readJob('ml', 'train')).toEqual({ parallelism: 6 });
    expect(apis.calls).toEqual(['job ml/train', 'job ml/train']);
  });
});

/** A scheduling.k8s.io/v1beta1 PodGroup as the API server returns it. */
function workloadPodGroup(spec: Record<string, unknown>): unknown {
  return { apiVersion: 'scheduling.k8s.io/v1beta1', kind: 'PodGroup', metadata: { name: 'llm' }, spec };
}
const UPSTREAM = 'podgroups.v1beta1.scheduling.k8s.io';

describe('ApiOwnerReader: upstream Workload API PodGroups', () => {
  it.each([
    [
      'gang policy with a topology key',
      {
        schedulingPolicy: { gang: { minCount: 4 } },
        schedulingConstraints: { topology: [{ key: 'nvidia.com/gpu.clique' }] },
      },
      { minCount: 4, topologyKeys: ['nvidia.com/gpu.clique'] },
    ],
    ['gang policy alone', { schedulingPolicy: { gang: { minCount: 2 } } }, { minCount: 2, topologyKeys: [] }],
    [
      'basic policy: no minCount',
      { schedulingPolicy: { basic: {} }, schedulingConstraints: { topology: [{ key: 'a/b' }] } },
      { topologyKeys: ['a/b'] },
    ],
  ])('reads %s', async (_name, spec, expected) => {
    const apis = new FakeOwnerApis();
    apis.workloadPodGroups.set('ml/llm', workloadPodGroup(spec));
    expect(await new ApiOwnerReader(apis).readWorkloadPodGroup('ml', 'llm')).toEqual(expected);
    expect(apis.calls).toEqual([`${UPSTREAM} ml/llm`]);
  });

  it.each([
    [
      'a minCount that is not a number',
      { schedulingPolicy: { gang: { minCount: '4' } } },
      /gang.minCount is "4"/,
    ],
    ['a gang without minCount', { schedulingPolicy: { gang: {} } }, /gang.minCount is undefined/],
    [
      'a topology entry without a key',
      { schedulingPolicy: { gang: { minCount: 1 } }, schedulingConstraints: { topology: [{}] } },
      /schedulingConstraints.topology is \[\{\}\]/,
    ],
  ])('rejects %s', async (_name, spec, message) => {
    const apis = new FakeOwnerApis();
    apis.workloadPodGroups.set('ml/llm', workloadPodGroup(spec));
    await expect(new ApiOwnerReader(apis).readWorkloadPodGroup('ml', 'llm')).rejects.toThrow(message);
  });

  it('answers undefined when the PodGroup is missing, and does not remember the miss', async () => {
    const apis = new FakeOwnerApis();
    const reader = new ApiOwnerReader(apis);
    expect(await reader.readWorkloadPodGroup('ml', 'llm')).toBeUndefined();
    apis.workloadPodGroups.set('ml/llm', workloadPodGroup({ schedulingPolicy: { gang: { minCount: 3 } } }));
    expect(await reader.readWorkloadPodGroup('ml', 'llm')).toEqual({ minCount: 3, topologyKeys: [] });
    expect(apis.calls).toEqual([`${UPSTREAM} ml/llm`, `${UPSTREAM} ml/llm`]);
  });

  it('answers undefined where the API is not served (404 on the group, Kubernetes 1.33)', async () => {
    const apis = new FakeOwnerApis();
    apis.served = false;
    expect(await new ApiOwnerReader(apis).readWorkloadPodGroup('ml', 'llm')).toBeUndefined();
  });

  it.each([403, 500, 503])('rejects on HTTP %d', async (status) => {
    const apis = new FakeOwnerApis();
    apis.failStatus.set('workload-podgroup ml/llm', status);
    await expect(new ApiOwnerReader(apis).readWorkloadPodGroup('ml', 'llm')).rejects.toMatchObject({
      code: status,
    });
  });

  it('memoises answers, shares concurrent lookups, and keeps it apart from a coscheduling PodGroup', async () => {
    const apis = new FakeOwnerApis();
    apis.workloadPodGroups.set('ml/llm', workloadPodGroup({ schedulingPolicy: { gang: { minCount: 4 } } }));
    apis.podGroups.set('ml/llm', { spec: { minMember: 9 } });
    const reader = new ApiOwnerReader(apis);
    const answers = await Promise.all([
      reader.readWorkloadPodGroup('ml', 'llm'),
      reader.readWorkloadPodGroup('ml', 'llm'),
      reader.readPodGroupMinMember('ml', 'llm'),
    ]);
    expect(answers).toEqual([{ minCount: 4, topologyKeys: [] }, { minCount: 4, topologyKeys: [] }, 9]);
    await reader.readWorkloadPodGroup('ml', 'llm');
    expect(apis.calls).toEqual([`${UPSTREAM} ml/llm`, 'podgroups.v1alpha1.scheduling.x-k8s.io ml/llm']);
  });

  it('asks again once the memo expires', async () => {
    const apis = new FakeOwnerApis();
    apis.workloadPodGroups.set('ml/llm', workloadPodGroup({ schedulingPolicy: { gang: { minCount: 4 } } }));
    const reader = new ApiOwnerReader(apis, { ttlMs: 1 });
    await reader.readWorkloadPodGroup('ml', 'llm');
    await new Promise((r) => setTimeout(r, 15));
    apis.workloadPodGroups.set('ml/llm', workloadPodGroup({ schedulingPolicy: { gang: { minCount: 6 } } }));
    expect(await reader.readWorkloadPodGroup('ml', 'llm')).toEqual({ minCount: 6, topologyKeys: [] });
    expect(apis.calls).toHaveLength(2);
  });
});
