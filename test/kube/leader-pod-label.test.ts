import { ApiException, type ConfigurationOptions, type V1Pod, type V1PodList } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LEADER_POD_LABEL } from '../../src/core/names.js';
import { LeaderPodLabel, type LeaderLabelApi } from '../../src/kube/leader-pod-label.js';
import { recordingLogger } from '../fakes/kube-logger.js';
import { contentTypeOf } from '../fakes/kube-pod-api.js';

/** Pods of one namespace with their labels; merge patches of metadata.labels applied as the API does. */
class FakePods implements LeaderLabelApi {
  readonly labels = new Map<string, Record<string, string>>();
  readonly contentTypes: (string | undefined)[] = [];
  /** Statuses the next patches fail with, in order. */
  readonly failures: number[] = [];

  patchNamespacedPod = async (
    p: { name: string; namespace: string; body: unknown },
    options?: ConfigurationOptions,
  ): Promise<V1Pod> => {
    this.contentTypes.push(await contentTypeOf(options));
    const status = this.failures.shift();
    if (status !== undefined) throw new ApiException(status, 'x', { message: 'x' }, {});
    const current = this.labels.get(p.name);
    if (current === undefined) throw new ApiException(404, 'not found', { message: 'not found' }, {});
    const patch = (p.body as { metadata: { labels: Record<string, string | null> } }).metadata.labels;
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete current[key];
      else current[key] = value;
    }
    return { metadata: { name: p.name, labels: { ...current } } };
  };

  listNamespacedPod = (p: { namespace: string; labelSelector?: string }): Promise<V1PodList> => {
    const [key, value] = (p.labelSelector ?? '').split('=');
    const items = [...this.labels]
      .filter(([, labels]) => key === undefined || key === '' || labels[key] === value)
      .map(([name, labels]) => ({ metadata: { name, labels: { ...labels } } }));
    return Promise.resolve({ items });
  };
}

function setup(pods: Record<string, Record<string, string>>) {
  const api = new FakePods();
  for (const [name, labels] of Object.entries(pods)) api.labels.set(name, { ...labels });
  const logger = recordingLogger();
  const label = new LeaderPodLabel({
    api,
    namespace: 'phalanx-system',
    podName: 'phalanx-a',
    logger,
    sleep: () => Promise.resolve(),
  });
  return { api, label, logger };
}

describe('LeaderPodLabel', () => {
  it('labels its own pod with a merge patch and clears a stale leader label elsewhere', async () => {
    const { api, label } = setup({
      'phalanx-a': { app: 'phalanx' },
      'phalanx-b': { app: 'phalanx', [LEADER_POD_LABEL]: 'true' },
    });
    await label.set(true);
    expect(api.labels.get('phalanx-a')).toEqual({ app: 'phalanx', [LEADER_POD_LABEL]: 'true' });
    expect(api.labels.get('phalanx-b')).toEqual({ app: 'phalanx' });
    expect(new Set(api.contentTypes)).toEqual(new Set(['application/merge-patch+json']));
  });

  it('removes only the leader label when it stops leading', async () => {
    const { api, label } = setup({ 'phalanx-a': { app: 'phalanx', [LEADER_POD_LABEL]: 'true' } });
    await label.set(false);
    expect(api.labels.get('phalanx-a')).toEqual({ app: 'phalanx' });
  });

  it('retries a failed update and reaches the wanted state', async () => {
    const { api, label } = setup({ 'phalanx-a': {} });
    api.failures.push(503, 500);
    await label.set(true);
    expect(api.labels.get('phalanx-a')).toEqual({ [LEADER_POD_LABEL]: 'true' });
  });

  it('applies changes in order, so a quick lead-then-lose ends unlabelled', async () => {
    const { api, label } = setup({ 'phalanx-a': {} });
    const first = label.set(true);
    const second = label.set(false);
    await Promise.all([first, second]);
    expect(api.labels.get('phalanx-a')).toEqual({});
  });

  it('gives up after its attempts without throwing and logs an error', async () => {
    const { label, logger } = setup({});
    await expect(label.set(true)).resolves.toBeUndefined();
    expect(logger.lines.some((r) => r.level === 'error')).toBe(true);
  });
});
