// POST /preempt over HTTP with both request forms kube-scheduler sends (full victim pods, or only
// their UIDs when the extender is nodeCacheCapable), served by the real PreemptService over a real
// ledger: the reply is always NodeNameToMetaVictims, lists at least one victim per node, and names
// only pods bound to that node.
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchedulingVerbs } from '../../src/app/verbs.js';
import { createExtenderRouter } from '../../src/extender/routes.js';
import { createExtenderMetrics, createRegistry } from '../../src/metrics/registry.js';
import { createQuotaMetrics, preemptObserver } from '../../src/metrics/quota-metrics.js';
import { PreemptWorld, fractionalPreemptor } from '../app/preemption/preempt-harness.js';
import { share, whole } from '../support/assignments.js';

const world = new PreemptWorld()
  .node('gpu-1', 2)
  .node('gpu-2', 1)
  .pod('a', { node: 'gpu-1', priority: 0, holds: share('gpu-1', 0, 500) })
  .pod('b', { node: 'gpu-1', priority: 5, holds: share('gpu-1', 0, 400) })
  .pod('w', { node: 'gpu-1', priority: 100, holds: whole('gpu-1', 1) })
  .pod('top', { node: 'gpu-2', priority: 100, holds: share('gpu-2', 0, 800) });

let serving: string | undefined;
const registry = createRegistry(false);
const quota = createQuotaMetrics(registry, () => new Map([['ml', 2700]]));
const preempt = world.service({ notServingReason: () => serving, observer: preemptObserver(quota) });
const verbs: SchedulingVerbs = {
  filter: () => ({ feasible: [], failed: {}, unresolvable: {} }),
  prioritize: () => [],
  bind: () => Promise.resolve(''),
  preempt: (pod, candidates) => preempt.preempt(pod, candidates),
};

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express().use(
    createExtenderRouter({
      verbs,
      metrics: createExtenderMetrics(registry),
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: 64 * 1024,
    }),
  );
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function post(body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}/preempt`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const preemptor = fractionalPreemptor(600, 10);
const expected = { NodeNameToMetaVictims: { 'gpu-1': { Pods: [{ UID: 'a' }], NumPDBViolations: 0 } } };

describe('POST /preempt', () => {
  it('answers the UID form with our victims, dropping nodes where eviction cannot help', async () => {
    const { status, json } = await post({
      Pod: preemptor,
      NodeNameToVictims: null,
      NodeNameToMetaVictims: {
        'gpu-1': { Pods: [{ UID: 'b' }], NumPDBViolations: 0 },
        'gpu-2': { Pods: [{ UID: 'top' }], NumPDBViolations: 0 },
      },
    });
    expect(status).toBe(200);
    expect(json).toEqual(expected);
  });

  it('answers the UID form to the full-pod form too', async () => {
    const b = world.pods.find((p) => p.metadata?.uid === 'b');
    const { status, json } = await post({
      Pod: preemptor,
      NodeNameToVictims: { 'gpu-1': { Pods: [b], NumPDBViolations: 1 } },
      NodeNameToMetaVictims: null,
    });
    expect(status).toBe(200);
    expect(json).toEqual(expected);
  });

  it('answers an empty map when no node can be helped', async () => {
    const { json } = await post({
      Pod: fractionalPreemptor(600, 0),
      NodeNameToVictims: null,
      NodeNameToMetaVictims: { 'gpu-1': { Pods: [{ UID: 'b' }], NumPDBViolations: 0 } },
    });
    expect(json).toEqual({ NodeNameToMetaVictims: {} });
  });

  it('rejects a body with neither map, naming the field', async () => {
    const { status, json } = await post({
      Pod: preemptor,
      NodeNameToVictims: null,
      NodeNameToMetaVictims: null,
    });
    expect(status).toBe(400);
    expect(json).toMatchObject({ field: 'NodeNameToMetaVictims' });
  });

  it('answers 503 while not serving, so the scheduler retries', async () => {
    serving = 'not synced';
    try {
      const { status, json } = await post({
        Pod: preemptor,
        NodeNameToVictims: null,
        NodeNameToMetaVictims: { 'gpu-1': { Pods: [{ UID: 'b' }], NumPDBViolations: 0 } },
      });
      expect(status).toBe(503);
      expect(json).toEqual({ error: 'not synced' });
    } finally {
      serving = undefined;
    }
  });

  it('counts answers and victims, and exposes per-namespace GPU use', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/phalanx_preemption_nodes_total\{result="victims"\} [1-9]/);
    expect(text).toMatch(/phalanx_preemption_nodes_total\{result="cannot-help"\} [1-9]/);
    expect(text).toMatch(/phalanx_preemption_victims_total\{reason="gpu"\} [1-9]/);
    expect(text).toContain('phalanx_namespace_gpu_milli_in_use{namespace="ml"} 2700');
  });
});
