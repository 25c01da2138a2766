import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { borrowedShares, KueueQueueSource } from '../../src/kube/kueue-queues.js';
import { recordingLogger } from '../fakes/kube-logger.js';

const teamB = {
  metadata: { name: 'team-b' },
  status: {
    flavorsUsage: [
      {
        name: 'h100',
        resources: [
          { name: 'nvidia.com/gpu', total: '64', borrowed: '32' },
          { name: 'phalanx.dev/gpu-milli', total: '64k', borrowed: '32k' },
        ],
      },
    ],
  },
};
const teamA = {
  metadata: { name: 'team-a' },
  status: { flavorsUsage: [{ name: 'h100', resources: [{ name: 'nvidia.com/gpu', total: '0' }] }] },
};

describe('borrowedShares', () => {
  it('reads borrowed quantities per queue, flavor and resource ("32k" milli is 32000)', () => {
    expect(borrowedShares([teamB, teamA, { metadata: { name: 'new' } }])).toEqual([
      { clusterQueue: 'team-b', flavor: 'h100', resource: 'nvidia.com/gpu', borrowed: 32 },
      { clusterQueue: 'team-b', flavor: 'h100', resource: 'phalanx.dev/gpu-milli', borrowed: 32000 },
      { clusterQueue: 'team-a', flavor: 'h100', resource: 'nvidia.com/gpu', borrowed: 0 },
    ]);
  });

  it('skips a quantity it cannot read', () => {
    const bad = {
      metadata: { name: 'x' },
      status: { flavorsUsage: [{ name: 'f', resources: [{ name: 'r', borrowed: 'lots' }] }] },
    };
    expect(borrowedShares([bad])).toEqual([]);
  });
});

function source(o: { version?: string; list?: () => Promise<unknown[]> } = {}) {
  let now = 0;
  const calls = { discover: 0, list: 0 };
  const logger = recordingLogger();
  const src = new KueueQueueSource({
    clock: { now: () => now },
    logger,
    discover: () => {
      calls.discover += 1;
      return Promise.resolve(o.version);
    },
    listClusterQueues: (version) => {
      calls.list += 1;
      expect(version).toBe('v1beta2');
      return (o.list ?? (() => Promise.resolve([teamB])))() as Promise<never[]>;
    },
  });
  return { src, calls, logger, advance: (ms: number) => (now += ms) };
}

describe('KueueQueueSource', () => {
  it('without Kueue answers nothing, rediscovers at most once a minute and logs nothing', async () => {
    const { src, calls, logger, advance } = source();
    expect(await src.borrowed()).toEqual([]);
    advance(30_000);
    expect(await src.borrowed()).toEqual([]);
    expect(calls).toEqual({ discover: 1, list: 0 });
    advance(30_000);
    await src.borrowed();
    expect(calls.discover).toBe(2);
    expect(logger.lines.filter((l) => l.level !== 'debug')).toEqual([]);
  });

  it('with Kueue lists ClusterQueues, at most once per cache period', async () => {
    const { src, calls, advance } = source({ version: 'v1beta2' });
    expect((await src.borrowed()).map((s) => s.borrowed)).toEqual([32, 32000]);
    await src.borrowed();
    expect(calls.list).toBe(1);
    advance(5_000);
    await src.borrowed();
    expect(calls).toEqual({ discover: 1, list: 2 });
  });

  it('keeps the last answer on a failed list and warns once; forgets Kueue on 404', async () => {
    let fail: number | undefined;
    const { src, calls, logger, advance } = source({
      version: 'v1beta2',
      list: () =>
        fail === undefined
          ? Promise.resolve([teamB])
          : Promise.reject(new ApiException(fail, 'x', { message: 'x' }, {})),
    });
    await src.borrowed();
    fail = 500;
    advance(6_000);
    expect(await src.borrowed()).toHaveLength(2);
    advance(6_000);
    await src.borrowed();
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    fail = 404;
    advance(6_000);
    expect(await src.borrowed()).toEqual([]);
    expect(calls.discover).toBe(1);
    advance(61_000);
    fail = undefined;
    await src.borrowed();
    expect(calls.discover).toBe(2);
  });
});
