import { ApiException, type V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ApiOwnerReader, type OwnerReaderApis } from '../../src/kube/owner-reader.js';

const notFound = () => new ApiException(404, 'not found', { message: 'not found' }, {});

class FakeOwnerApis implements OwnerReaderApis {
  readonly jobs = new Map<string, V1Job>();
  readonly podGroups = new Map<string, unknown>();
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
