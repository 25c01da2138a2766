// POST /filter when no node fits and the pod's own preemption victims are still leaving Phalanx's
// view: the reply waits for awaitOwnVictims and is computed again after it, in both request forms.
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FilterOutcome, SchedulingVerbs } from '../../src/app/verbs.js';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { createExtenderHandler } from '../../src/extender/routes.js';
import { createExtenderMetrics, createRegistry } from '../../src/metrics/registry.js';

const podNamed = (name: string) => ({
  metadata: { name, namespace: 'ml', uid: `uid-${name}` },
  spec: { containers: [{ name: 'main' }] },
  status: { phase: 'Pending', nominatedNodeName: 'node-1' },
});

/** node-1 fits once its victims are released; `busy` fits from the start. */
let released = false;
const calls: string[] = [];
const verbs: SchedulingVerbs = {
  filter: (pod: PodShape, names): FilterOutcome => {
    calls.push(`filter:${pod.metadata?.name}`);
    const fits = (n: string) => n === 'busy' || (n === 'node-1' && released);
    return {
      feasible: names.filter(fits),
      failed: Object.fromEntries(names.filter((n) => !fits(n)).map((n) => [n, `${n} has 0 free of 4`])),
      unresolvable: {},
    };
  },
  prioritize: (_pod, names) => names.map((host) => ({ host, score: 0 })),
  bind: () => Promise.resolve(''),
  awaitOwnVictims: (pod, names) => {
    calls.push(`await:${pod.metadata?.name}:${names.join(',')}`);
    if (pod.metadata?.name === 'no-choice') return undefined;
    return new Promise<string | undefined>((resolve) =>
      setTimeout(() => {
        released = pod.metadata?.name !== 'still-held';
        resolve(released ? undefined : 'victims still hold GPUs on node-1');
      }, 30),
    );
  },
};

let server: Server;
let base: string;

beforeAll(async () => {
  const handler = createExtenderHandler({
    verbs,
    metrics: createExtenderMetrics(createRegistry(false)),
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 64 * 1024,
  });
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  released = false;
  calls.length = 0;
});

async function filter(body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/filter`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('POST /filter waits for the pod’s own leaving victims', () => {
  it('answers with the node freed for the pod once its victims left', async () => {
    const json = await filter({ Pod: podNamed('p1'), Nodes: null, NodeNames: ['node-1', 'node-2'] });
    expect(json).toMatchObject({
      NodeNames: ['node-1'],
      FailedNodes: { 'node-2': 'node-2 has 0 free of 4' },
    });
    expect(calls).toEqual(['filter:p1', 'await:p1:node-1,node-2', 'filter:p1']);
  });

  it('does the same with node objects', async () => {
    const node1 = { metadata: { name: 'node-1' } };
    const json = await filter({
      Pod: podNamed('p2'),
      Nodes: { metadata: {}, items: [node1, { metadata: { name: 'node-2' } }] },
      NodeNames: null,
    });
    expect(json).toMatchObject({ NodeNames: null, Nodes: { items: [node1] } });
  });

  it('answers with an error naming the victims when the wait ends without them gone', async () => {
    const json = await filter({ Pod: podNamed('still-held'), Nodes: null, NodeNames: ['node-1'] });
    // An error, not a refusal: kube-scheduler retries after its backoff and preempts nothing.
    expect(json).toMatchObject({ NodeNames: [], Error: 'victims still hold GPUs on node-1; retry later' });
    expect(calls).toEqual(['filter:still-held', 'await:still-held:node-1', 'filter:still-held']);
  });

  it('never waits when some node fits, nor when nothing is awaited', async () => {
    expect(await filter({ Pod: podNamed('p3'), Nodes: null, NodeNames: ['busy', 'node-1'] })).toMatchObject({
      NodeNames: ['busy'],
    });
    expect(await filter({ Pod: podNamed('no-choice'), Nodes: null, NodeNames: ['node-1'] })).toMatchObject({
      NodeNames: [],
    });
    expect(calls).toEqual(['filter:p3', 'filter:no-choice', 'await:no-choice:node-1']);
  });
});
