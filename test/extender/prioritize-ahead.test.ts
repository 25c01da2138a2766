// Prioritize computed ahead: right after a filter reply, the extender scores the nodes that reply
// named, so kube-scheduler's prioritize request over them finds the answer kept. Checked on the
// handler with verbs that record what they are asked, and on the real SchedulingService over a mixed
// cluster, where answers with and without it must be the same, also when a node changes in between.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SchedulingService } from '../../src/app/scheduling/scheduling-service.js';
import type { HostScore, SchedulingVerbs } from '../../src/app/verbs.js';
import { loadConfig } from '../../src/config/load.js';
import { ClusterState } from '../../src/core/cluster-state.js';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { createExtenderHandler } from '../../src/extender/routes.js';
import { createExtenderMetrics, createRegistry, type ExtenderMetrics } from '../../src/metrics/registry.js';
import { FakeApi } from '../fakes/app-ports.js';
import { binpackService, h100Node, pendingGpuPod } from '../support/scheduling-fixtures.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function serve(
  verbs: SchedulingVerbs,
  prioritizeAhead?: boolean,
): Promise<{ post: (path: string, body: unknown) => Promise<unknown>; metrics: ExtenderMetrics }> {
  const metrics = createExtenderMetrics(createRegistry(false));
  const handler = createExtenderHandler({
    verbs,
    metrics,
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 1024 * 1024,
    ...(prioritizeAhead === undefined ? {} : { prioritizeAhead }),
  });
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const post = (path: string, body: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path,
          headers: { 'content-length': Buffer.byteLength(text) },
        },
        (res) => {
          let reply = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (reply += c));
          res.on('end', () => resolve(JSON.parse(reply)));
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  return { post, metrics };
}

/** Lets the turn after a reply run (where the handler computes ahead). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const pod = (name: string): PodShape => ({
  metadata: { name, namespace: 'ml', uid: `uid-${name}` },
  spec: {},
});

async function aheadSamples(metrics: ExtenderMetrics, outcome: string): Promise<number> {
  const { values } = await metrics.verbDuration.get();
  const count = values.find(
    (v) =>
      v.metricName === 'phalanx_extender_request_duration_seconds_count' &&
      v.labels.verb === 'prioritize-ahead' &&
      v.labels.outcome === outcome,
  );
  return count?.value ?? 0;
}

async function aheadUsed(metrics: ExtenderMetrics): Promise<number> {
  const { values } = await metrics.prioritizeAheadUsed.get();
  return values[0]?.value ?? 0;
}

/** Verbs whose filter keeps the nodes named `keep…` and records every call made ahead. */
function recordingVerbs(opts: { error?: string; throwAhead?: boolean } = {}) {
  const ahead: { pod: string | undefined; names: readonly string[] }[] = [];
  // One answer object per list of names, as the scheduling service's memo hands back.
  const scored = new Map<string, HostScore[]>();
  const score = (names: readonly string[]): HostScore[] => {
    const key = names.join(',');
    let scores = scored.get(key);
    if (scores === undefined) scored.set(key, (scores = names.map((host, i) => ({ host, score: 10 - i }))));
    return scores;
  };
  const verbs: SchedulingVerbs = {
    filter: (_pod, names) => ({
      feasible: names.filter((n) => n.startsWith('keep')),
      failed: {},
      unresolvable: {},
      ...(opts.error ? { error: opts.error } : {}),
    }),
    prioritize: (_pod, names) => score(names),
    prioritizeAhead: (p, names) => {
      ahead.push({ pod: p.metadata?.name, names });
      if (opts.throwAhead) throw new Error('scoring broke');
      return score(names);
    },
    bind: () => Promise.resolve(''),
  };
  return { verbs, ahead };
}

describe('prioritize ahead, on the handler', () => {
  it('scores the nodes a filter reply named once the reply is out, and the request gets that answer', async () => {
    const { verbs, ahead } = recordingVerbs();
    const { post, metrics } = await serve(verbs);
    const filtered = (await post('/filter', {
      Pod: pod('a'),
      Nodes: null,
      NodeNames: ['keep-1', 'drop-1', 'keep-2', 'keep-3'],
    })) as { NodeNames: string[] };
    expect(filtered.NodeNames).toEqual(['keep-1', 'keep-2', 'keep-3']);
    await nextTurn();
    expect(ahead).toEqual([{ pod: 'a', names: ['keep-1', 'keep-2', 'keep-3'] }]);
    expect(await aheadSamples(metrics, 'ok')).toBe(1);
    const scores = await post('/prioritize', { Pod: pod('a'), Nodes: null, NodeNames: filtered.NodeNames });
    expect(scores).toEqual([
      { Host: 'keep-1', Score: 10 },
      { Host: 'keep-2', Score: 9 },
      { Host: 'keep-3', Score: 8 },
    ]);
    expect(await aheadUsed(metrics)).toBe(1);
    // The same answer asked for again was not computed ahead a second time: counted once.
    await post('/prioritize', { Pod: pod('a'), Nodes: null, NodeNames: filtered.NodeNames });
    expect(await aheadUsed(metrics)).toBe(1);
  });

  it('computes nothing ahead when one node or none is left, on an error, or for node objects', async () => {
    const { verbs, ahead } = recordingVerbs();
    const { post } = await serve(verbs);
    await post('/filter', { Pod: pod('one'), Nodes: null, NodeNames: ['keep-1', 'drop-1'] });
    await post('/filter', { Pod: pod('none'), Nodes: null, NodeNames: ['drop-1', 'drop-2'] });
    const items = ['keep-1', 'keep-2'].map((name) => ({ metadata: { name } }));
    await post('/filter', { Pod: pod('objects'), Nodes: { metadata: {}, items }, NodeNames: null });
    const failing = recordingVerbs({ error: 'not leader' });
    const other = await serve(failing.verbs);
    const answer = (await other.post('/filter', {
      Pod: pod('err'),
      Nodes: null,
      NodeNames: ['keep-1', 'keep-2'],
    })) as { Error: string };
    expect(answer.Error).toBe('not leader');
    await nextTurn();
    expect(ahead).toEqual([]);
    expect(failing.ahead).toEqual([]);
  });

  it('is off when the setting says so', async () => {
    const { verbs, ahead } = recordingVerbs();
    const { post, metrics } = await serve(verbs, false);
    await post('/filter', { Pod: pod('a'), Nodes: null, NodeNames: ['keep-1', 'keep-2'] });
    await nextTurn();
    expect(ahead).toEqual([]);
    await post('/prioritize', { Pod: pod('a'), Nodes: null, NodeNames: ['keep-1', 'keep-2'] });
    expect(await aheadUsed(metrics)).toBe(0);
  });

  it('survives a failure ahead: counted as an error, and prioritize is still answered', async () => {
    const { verbs, ahead } = recordingVerbs({ throwAhead: true });
    const { post, metrics } = await serve(verbs);
    await post('/filter', { Pod: pod('a'), Nodes: null, NodeNames: ['keep-1', 'keep-2'] });
    await nextTurn();
    expect(ahead).toHaveLength(1);
    expect(await aheadSamples(metrics, 'error')).toBe(1);
    const scores = await post('/prioritize', { Pod: pod('a'), Nodes: null, NodeNames: ['keep-1', 'keep-2'] });
    expect(scores).toEqual([
      { Host: 'keep-1', Score: 10 },
      { Host: 'keep-2', Score: 9 },
    ]);
    expect(await aheadUsed(metrics)).toBe(0);
  });

  it('is on by default, and PHALANX_FILTER_PRIORITIZE_AHEAD turns it off', () => {
    expect(loadConfig({}).filter.prioritizeAhead).toBe(true);
    expect(loadConfig({ env: { PHALANX_FILTER_PRIORITIZE_AHEAD: 'false' } }).filter.prioritizeAhead).toBe(
      false,
    );
  });
});

/** Two GPU pools with some GPUs in use, a 4-GPU node and CPU-only nodes. */
function mixedCluster(): { state: ClusterState; service: SchedulingService; api: FakeApi; names: string[] } {
  const state = new ClusterState();
  for (let i = 0; i < 5; i++) state.applyNode(h100Node(`a-${i}`, 8, { pool: 'a' }));
  for (let i = 0; i < 3; i++) state.applyNode(h100Node(`b-${i}`, 8, { pool: 'b' }));
  state.applyNode(h100Node('small-0', 4));
  state.applyNode(h100Node('cpu-0', 0));
  const api = new FakeApi();
  const service = binpackService(state, api);
  const names = [...state.nodes()];
  return { state, service, api, names };
}

async function bindOn(service: SchedulingService, api: FakeApi, p: PodShape, node: string): Promise<void> {
  api.add(p);
  const error = await service.bind({ namespace: 'ml', name: p.metadata!.name!, uid: p.metadata!.uid!, node });
  expect(error).toBe('');
}

describe('prioritize ahead, on the scheduling service', () => {
  it('hands the prioritize request the very answer computed ahead', () => {
    const { service, names } = mixedCluster();
    const p = pendingGpuPod('half', { fraction: '0.5' });
    const feasible = service.filter(p, names).feasible;
    expect(feasible.length).toBeGreaterThan(1);
    const ahead = service.prioritizeAhead(p, feasible);
    expect(ahead).toBeDefined();
    expect(service.prioritize(p, feasible)).toBe(ahead);
  });

  it('answers as without it, also when a node changed in between', async () => {
    const first = mixedCluster();
    const second = mixedCluster();
    const warm = pendingGpuPod('warm', { gpus: 2 });
    for (const { service, api } of [first, second]) await bindOn(service, api, warm, 'a-1');
    const p = pendingGpuPod('half', { fraction: '0.5' });
    const feasible = first.service.filter(p, first.names).feasible;
    const ahead = first.service.prioritizeAhead(p, feasible);
    // A bind lands between the filter and the prioritize, on both clusters alike.
    const other = pendingGpuPod('other', { gpus: 7 });
    for (const { service, api } of [first, second]) await bindOn(service, api, other, 'a-2');
    const withAhead = first.service.prioritize(p, feasible);
    const without = second.service.prioritize(p, [...feasible]);
    expect(withAhead).toEqual(without);
    // The bind moved a-2's score: the answer computed ahead was brought up to date, not handed on.
    const scoreOf = (scores: readonly HostScore[] | undefined) =>
      scores?.find((s) => s.host === 'a-2')?.score;
    expect(scoreOf(withAhead)).not.toBe(scoreOf(ahead));
  });

  it('computes nothing for one node, a pod without GPUs, a pod it cannot read, or while not serving', () => {
    const { service, names, state } = mixedCluster();
    expect(service.prioritizeAhead(pendingGpuPod('one', { fraction: '0.5' }), ['a-0'])).toBeUndefined();
    expect(service.prioritizeAhead(pendingGpuPod('cpu'), names)).toBeUndefined();
    const broken = pendingGpuPod('broken', { fraction: '1.5' });
    expect(service.prioritizeAhead(broken, names)).toBeUndefined();
    const api = new FakeApi();
    const stopped = binpackService(state, api, { notServingReason: () => 'not the leader' });
    expect(stopped.prioritizeAhead(pendingGpuPod('half', { fraction: '0.5' }), names)).toBeUndefined();
  });
});
