// The verbs as `phalanx serve` mounts them: a plain node:http handler, no express in front. Bodies as
// kube-scheduler sends them (Content-Length announced), and the odd ones it never sends.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchedulingVerbs } from '../../src/app/verbs.js';
import { createExtenderHandler } from '../../src/extender/routes.js';
import { createExtenderMetrics, createRegistry } from '../../src/metrics/registry.js';

const pod = (name: string) => ({ metadata: { name, namespace: 'ml', uid: `uid-${name}` }, spec: {} });
const seenLists: (readonly string[])[] = [];
const verbs: SchedulingVerbs = {
  filter: (_pod, names) => {
    seenLists.push(names);
    return { feasible: names.slice(0, 2), failed: {}, unresolvable: {} };
  },
  prioritize: (_pod, names) => names.map((host, i) => ({ host, score: i })),
  bind: () => Promise.resolve(''),
};

let server: Server;
let port: number;

beforeAll(async () => {
  const handler = createExtenderHandler({
    verbs,
    metrics: createExtenderMetrics(createRegistry(false)),
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 16 * 1024,
  });
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** One request; `chunks` are written separately without a Content-Length (chunked encoding). */
function send(
  method: string,
  path: string,
  chunks: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | undefined; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], json: JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const post = (path: string, body: unknown) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return send('POST', path, [text], { 'content-length': String(Buffer.byteLength(text)) });
};

describe('the extender handler', () => {
  it('answers filter with the survivors, as JSON with its length', async () => {
    const res = await post('/filter', { Pod: pod('a'), Nodes: null, NodeNames: ['n1', 'n2', 'n3'] });
    expect(res).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(res.json).toEqual({
      Nodes: null,
      NodeNames: ['n1', 'n2'],
      FailedNodes: {},
      FailedAndUnresolvableNodes: {},
      Error: '',
    });
  });

  it('hands the verb the same list object when the scheduler sends the same names again, in any order', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `gpu-node-${i}`);
    seenLists.length = 0;
    await post('/filter', { Pod: pod('b'), Nodes: null, NodeNames: names });
    await post('/filter', { Pod: pod('c'), Nodes: null, NodeNames: names });
    await post('/filter', { Pod: pod('d'), Nodes: null, NodeNames: [...names].reverse() });
    await post('/filter', { Pod: pod('f'), Nodes: null, NodeNames: [...names, 'gpu-node-50'] });
    expect(seenLists[1]).toBe(seenLists[0]);
    expect(seenLists[0]).toEqual(names);
    // The same nodes in another order (the scheduler's parallel filter): the list already known.
    expect(seenLists[2]).toBe(seenLists[0]);
    expect(seenLists[3]).toEqual([...names, 'gpu-node-50']);
  });

  it('refuses a list with an empty name each time it is sent, though the list is remembered', async () => {
    const body = { Pod: pod('g'), Nodes: null, NodeNames: ['gpu-a', '', 'gpu-b'] };
    for (let i = 0; i < 3; i++) {
      expect(await post('/filter', body)).toMatchObject({ status: 400, json: { field: 'NodeNames[1]' } });
    }
  });

  it('reads a chunked body without a Content-Length', async () => {
    const text = JSON.stringify({ Pod: pod('e'), Nodes: null, NodeNames: ['x', 'y'] });
    const res = await send('POST', '/prioritize', [text.slice(0, 10), text.slice(10)]);
    expect(res.status).toBe(200);
    expect(res.json).toEqual([{ Host: 'y', Score: 1 }]);
  });

  it.each([
    ['a compressed body', 'gzip', '{}', /content-encoding gzip/],
    ['an announced length past the limit', undefined, 'x'.repeat(20 * 1024), /exceeds 16384 bytes/],
  ])('refuses %s with 400 naming body', async (_case, encoding, text, message) => {
    const headers: Record<string, string> = { 'content-length': String(text.length) };
    if (encoding) headers['content-encoding'] = encoding;
    const res = await send('POST', '/filter', [text], headers);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ field: 'body', error: expect.stringMatching(message) as string });
  });

  it('refuses a chunked body that grows past the limit', async () => {
    const res = await send('POST', '/filter', ['x'.repeat(10 * 1024), 'x'.repeat(10 * 1024)]);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ field: 'body' });
  });

  it('answers other paths and methods with a JSON 404 naming them', async () => {
    expect(await send('GET', '/filter', [])).toMatchObject({
      status: 404,
      json: { error: 'no route for GET /filter' },
    });
    expect(await post('/nope?x=1', {})).toMatchObject({
      status: 404,
      json: { error: 'no route for POST /nope' },
    });
  });

  it('keeps serving on one connection after a refused body', async () => {
    expect((await post('/filter', '{"Pod":')).status).toBe(400);
    expect((await post('/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'u', Node: 'n' })).json).toEqual({
      Error: '',
    });
  });
});
