// HTTP-level tests of the extender verbs with bodies shaped exactly as kube-scheduler sends them
// (Go field names as keys, null for nil; src/extender/wire.ts), against scripted use cases.
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindRequest, SchedulingVerbs } from '../../src/app/verbs.js';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { createExtenderRouter } from '../../src/extender/routes.js';
import { REJECT_CAUSES, RejectCause } from '../../src/app/placement/node-fit.js';
import { createExtenderMetrics, createRegistry } from '../../src/metrics/registry.js';
import { createServerApp } from '../../src/server/app.js';

const pod = {
  metadata: { name: 'infer-0', namespace: 'ml', uid: '7d0c1f7e-1b6a-4a43-9f8e-2f0c6b9d1a11' },
  spec: { schedulerName: 'phalanx-scheduler', containers: [{ name: 'main' }] },
  status: { phase: 'Pending' },
};

const binds: BindRequest[] = [];
/** What a memoizing verb hands back while nothing changed: one result object for many requests. */
const sharedOutcome = { feasible: ['node-1', 'node-4'], failed: {}, unresolvable: {} };
const sharedScores = [
  { host: 'node-4', score: 7 },
  { host: 'node-1', score: 0 },
];
const verbs: SchedulingVerbs = {
  filter: (p: PodShape, names) => {
    if (p.metadata?.name === 'explode') throw new Error('boom');
    if (p.metadata?.name === 'shared') return sharedOutcome;
    if (p.metadata?.name === 'counted') {
      return {
        feasible: ['node-1'],
        failed: {},
        unresolvable: {},
        rejected: new Map([
          [RejectCause.noRoom, 4],
          ['gang ml/train-1 waits', 2],
        ]),
      };
    }
    if (p.metadata?.name?.startsWith('gang-')) {
      // A gang verb's reasons name the gang: they must never become label values.
      return {
        feasible: [],
        failed: Object.fromEntries(names.map((n) => [n, `gang ml/train-${p.metadata?.name} waits`])),
        unresolvable: {},
      };
    }
    return {
      feasible: names.filter((n) => n !== 'node-2' && n !== 'node-3'),
      failed: names.includes('node-2') ? { 'node-2': 'device 0 has 200m free, pod needs 500m' } : {},
      unresolvable: names.includes('node-3') ? { 'node-3': 'node has no GPUs' } : {},
    };
  },
  prioritize: (p, names) =>
    p.metadata?.name === 'shared'
      ? sharedScores
      : names.map((host, i) => ({ host, score: Math.max(0, 10 - i) })),
  bind: (request) => {
    binds.push(request);
    return Promise.resolve(request.node === 'bad' ? 'node bad is full' : '');
  },
};

let server: Server;
let base: string;
const registry = createRegistry(false);

beforeAll(async () => {
  const router = createExtenderRouter({
    verbs,
    metrics: createExtenderMetrics(registry),
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 64 * 1024,
  });
  const app = createServerApp({
    extender: router,
    registry,
    notReadyReasons: () => [],
    debugLedger: () => ({}),
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('POST /filter', () => {
  it('answers NodeNames in node-cache mode with every map present and PascalCase keys', async () => {
    const { status, json } = await post('/filter', {
      Pod: pod,
      Nodes: null,
      NodeNames: ['node-1', 'node-2', 'node-3'],
    });
    expect(status).toBe(200);
    expect(json).toEqual({
      Nodes: null,
      NodeNames: ['node-1'],
      FailedNodes: { 'node-2': 'device 0 has 200m free, pod needs 500m' },
      FailedAndUnresolvableNodes: { 'node-3': 'node has no GPUs' },
      Error: '',
    });
  });

  it('answers Nodes with the node objects as received in full-object mode', async () => {
    const node1 = { metadata: { name: 'node-1', labels: { a: 'b' } }, status: { allocatable: { cpu: '4' } } };
    const node2 = { metadata: { name: 'node-2' } };
    const { json } = await post('/filter', {
      Pod: pod,
      Nodes: { metadata: {}, items: [node1, node2] },
      NodeNames: null,
    });
    expect(json).toMatchObject({ NodeNames: null, Nodes: { metadata: {}, items: [node1] }, Error: '' });
  });

  it.each([
    ['not an object', '[1,2]', 'body'],
    ['missing Pod', { Nodes: null, NodeNames: ['a'] }, 'Pod'],
    ['pod without uid', { Pod: { metadata: { name: 'x' } }, NodeNames: ['a'] }, 'Pod.metadata.uid'],
    ['NodeNames not strings', { Pod: pod, NodeNames: ['a', 3] }, 'NodeNames[1]'],
    ['an empty node name', { Pod: pod, NodeNames: ['a', 'b', ''] }, 'NodeNames[2]'],
    [
      'a node without a name',
      { Pod: pod, Nodes: { items: [{ metadata: { name: 'a' } }, { metadata: {} }] }, NodeNames: null },
      'Nodes.items[1].metadata.name',
    ],
    ['a node that is not an object', { Pod: pod, Nodes: { items: [7] }, NodeNames: null }, 'Nodes.items[0]'],
    ['neither node list', { Pod: pod, Nodes: null, NodeNames: null }, 'NodeNames'],
    ['Nodes without items', { Pod: pod, Nodes: {}, NodeNames: null }, 'Nodes.items'],
    ['malformed JSON', '{"Pod":', 'body'],
    [
      'containers that are not an array',
      { Pod: { ...pod, spec: { containers: 'x' } }, NodeNames: ['a'] },
      'Pod.spec.containers',
    ],
    [
      'a limit that is not a quantity',
      {
        Pod: {
          ...pod,
          spec: { containers: [{ name: 'm', resources: { limits: { 'nvidia.com/gpu': true } } }] },
        },
        NodeNames: ['a'],
      },
      'Pod.spec.containers[0].resources.limits[nvidia.com/gpu]',
    ],
    [
      'an annotation that is not a string',
      {
        Pod: { ...pod, metadata: { ...pod.metadata, annotations: { 'phalanx.dev/group-size': 3 } } },
        NodeNames: ['a'],
      },
      'Pod.metadata.annotations[phalanx.dev/group-size]',
    ],
    [
      'tolerations that are not objects',
      { Pod: { ...pod, spec: { containers: [], tolerations: ['x'] } }, NodeNames: ['a'] },
      'Pod.spec.tolerations[0]',
    ],
  ])('rejects %s with 400 naming %s', async (_case, body, field) => {
    const { status, json } = await post('/filter', body);
    expect(status).toBe(400);
    expect(json).toMatchObject({ field });
    expect((json as { error: string }).error).toContain(field);
  });

  it('rejects an oversized body with 400 and keeps serving', async () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `node-${i}`);
    const { status, json } = await post('/filter', { Pod: pod, NodeNames: names });
    expect(status).toBe(400);
    expect((json as { error: string }).error).toMatch(/exceeds/);
    const after = await post('/filter', { Pod: pod, NodeNames: ['node-1'] });
    expect(after.status).toBe(200);
  });

  it('answers an internal failure with 200 and Error so the scheduler requeues the pod', async () => {
    const { status, json } = await post('/filter', {
      Pod: { ...pod, metadata: { ...pod.metadata, name: 'explode' } },
      NodeNames: ['node-1'],
    });
    expect(status).toBe(200);
    expect((json as { Error: string }).Error).toMatch(/boom/);
  });
});

describe('POST /prioritize', () => {
  it('leaves hosts scored 0 out of the reply (a missing host gets 0 from an extender)', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
    const { json } = await post('/prioritize', { Pod: pod, Nodes: null, NodeNames: names });
    expect(json).toHaveLength(10);
    expect((json as { Host: string }[]).map((h) => h.Host)).toEqual(names.slice(0, 10));
  });

  it('answers a bare array of Host/Score', async () => {
    const { status, json } = await post('/prioritize', { Pod: pod, Nodes: null, NodeNames: ['a', 'b'] });
    expect(status).toBe(200);
    expect(json).toEqual([
      { Host: 'a', Score: 10 },
      { Host: 'b', Score: 9 },
    ]);
  });
});

describe('a verb result shared by several requests', () => {
  const shared = { ...pod, metadata: { ...pod.metadata, name: 'shared' } };

  it('is answered in full each time, names mode and objects mode alike', async () => {
    const names = { Pod: shared, Nodes: null, NodeNames: ['node-1', 'node-4'] };
    const expected = {
      Nodes: null,
      NodeNames: ['node-1', 'node-4'],
      FailedNodes: {},
      FailedAndUnresolvableNodes: {},
      Error: '',
    };
    expect((await post('/filter', names)).json).toEqual(expected);
    expect((await post('/filter', names)).json).toEqual(expected);
    const items = ['node-1', 'node-4', 'node-5'].map((name) => ({ metadata: { name } }));
    const objects = await post('/filter', { Pod: shared, Nodes: { metadata: {}, items }, NodeNames: null });
    expect(objects.json).toEqual({
      Nodes: { metadata: {}, items: items.slice(0, 2) },
      NodeNames: null,
      FailedNodes: {},
      FailedAndUnresolvableNodes: {},
      Error: '',
    });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/prioritize`, {
        method: 'POST',
        body: JSON.stringify(names),
      });
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual([{ Host: 'node-4', Score: 7 }]);
    }
  });
});

describe('filter rejection metrics', () => {
  it('labels rejections only with a fixed cause, never text from a reason', async () => {
    await post('/filter', { Pod: pod, Nodes: null, NodeNames: ['node-1', 'node-2', 'node-3'] });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/phalanx_filter_rejections_total\{reason="other"\} [1-9]/);
    expect(metrics).toMatch(/phalanx_filter_rejections_total\{reason="node has no GPUs"\} [1-9]/);
    expect(metrics).not.toContain('200m');
  });

  it('adds the counts a verb precounted by cause, unknown causes as "other"', async () => {
    await post('/filter', {
      Pod: { ...pod, metadata: { ...pod.metadata, name: 'counted' } },
      NodeNames: ['a'],
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(`phalanx_filter_rejections_total{reason="${RejectCause.noRoom}"} 4`);
    expect(metrics).not.toContain('reason="gang ml/');
  });

  it('keeps one series per cause however many gangs are rejected', async () => {
    for (let i = 0; i < 50; i++) {
      await post('/filter', {
        Pod: { ...pod, metadata: { ...pod.metadata, name: `gang-${i}` } },
        NodeNames: ['node-9'],
      });
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const series = metrics.split('\n').filter((l) => l.startsWith('phalanx_filter_rejections_total{'));
    expect(metrics).not.toContain('train-');
    for (const line of series) {
      const reason = /reason="([^"]*)"/.exec(line)?.[1] ?? '';
      expect([...REJECT_CAUSES, 'other']).toContain(reason);
    }
  });

  it('labels malformed requests to unknown paths with verb "other"', async () => {
    await post('/no-such-verb-123', '{"Pod":');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).not.toContain('no-such-verb-123');
    expect(metrics).toMatch(/phalanx_extender_malformed_requests_total\{verb="other"\} [1-9]/);
  });
});

describe('POST /bind', () => {
  it('passes the binding args through and answers Error ""', async () => {
    const body = { PodName: 'infer-0', PodNamespace: 'ml', PodUID: pod.metadata.uid, Node: 'node-1' };
    const { status, json } = await post('/bind', body);
    expect(status).toBe(200);
    expect(json).toEqual({ Error: '' });
    expect(binds.at(-1)).toEqual({ namespace: 'ml', name: 'infer-0', uid: pod.metadata.uid, node: 'node-1' });
  });

  it('answers a failed bind with a non-empty Error', async () => {
    const { json } = await post('/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'u', Node: 'bad' });
    expect(json).toEqual({ Error: 'node bad is full' });
  });

  it('rejects a bind without PodUID with 400', async () => {
    const { status, json } = await post('/bind', { PodName: 'p', PodNamespace: 'ml', Node: 'n' });
    expect(status).toBe(400);
    expect(json).toMatchObject({ field: 'PodUID' });
  });
});

describe('service endpoints', () => {
  it('serves healthz, readyz and metrics', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain(
      'phalanx_extender_request_duration_seconds_bucket{le="0.0005",verb="filter",outcome="ok"}',
    );
    expect(metrics).toMatch(/phalanx_extender_malformed_requests_total\{verb="filter"\} [1-9]/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
  });
});
