// The webhook over real HTTPS on a loopback port with a self-managed CA, as the apiserver calls it:
// POST /mutate-pods?timeout=5s with a JSON AdmissionReview, TLS verified against the generated CA.
import { admissionService } from '../support/admission.js';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionMetrics } from '../../src/metrics/admission-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { createWebhookRouter } from '../../src/webhook/routes.js';
import { startWebhookServer, type WebhookServer } from '../../src/webhook/webhook-server.js';

const registry = createRegistry(false);
let webhook: WebhookServer;

beforeAll(async () => {
  const service = admissionService();
  const router = createWebhookRouter({
    service,
    metrics: createAdmissionMetrics(registry),
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: 64 * 1024,
  });
  webhook = await startWebhookServer({
    router,
    host: '127.0.0.1',
    port: 0,
    tls: { kind: 'self-signed', hosts: ['127.0.0.1', 'phalanx-webhook.phalanx-system.svc'] },
  });
});
afterAll(() => webhook.close());

function post(path: string, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: webhook.port,
        path,
        method: 'POST',
        ca: webhook.caCert,
        headers: { 'content-type': 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function fixtureText(name: string): string {
  return readFileSync(join(import.meta.dirname, '../fixtures/admission', `${name}.json`), 'utf8');
}

describe('POST /mutate-pods over HTTPS', () => {
  it('answers a review (ignoring ?timeout=) with the uid echoed and a base64 patch', async () => {
    const { status, json } = await post('/mutate-pods?timeout=5s', fixtureText('fraction-canonical'));
    expect(status).toBe(200);
    const body = json as {
      apiVersion: string;
      kind: string;
      response: { uid: string; patchType: string; patch: string };
    };
    expect(body.apiVersion).toBe('admission.k8s.io/v1');
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response.uid).toBe(
      (JSON.parse(fixtureText('fraction-canonical')) as { request: { uid: string } }).request.uid,
    );
    expect(body.response.patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(body.response.patch, 'base64').toString('utf8')) as unknown[];
    expect(patch).toContainEqual({ op: 'replace', path: '/spec/schedulerName', value: 'phalanx-scheduler' });
  });

  it('denies with 200 and allowed:false', async () => {
    const { status, json } = await post('/mutate-pods', fixtureText('deny-forged-decision'));
    expect(status).toBe(200);
    expect((json as { response: { allowed: boolean; status: { code: number } } }).response).toMatchObject({
      allowed: false,
      status: { code: 403 },
    });
  });

  it('lets a non-pod review through untouched', async () => {
    const review = JSON.parse(fixtureText('plain')) as { request: { kind: object; uid: string } };
    review.request.kind = { group: 'apps', version: 'v1', kind: 'Deployment' };
    const { json } = await post('/mutate-pods', JSON.stringify(review));
    expect((json as { response: object }).response).toEqual({ uid: review.request.uid, allowed: true });
  });

  it.each([
    [
      'a review without uid',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }),
      400,
      'request.uid',
    ],
    ['invalid JSON', '{"apiVersion": ', 400, 'body'],
    ['an oversized body', JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), 413, 'body'],
  ])('answers %s with a JSON error naming the field', async (_name, body, status, field) => {
    const res = await post('/mutate-pods', body);
    expect(res.status).toBe(status);
    expect((res.json as { field: string }).field).toBe(field);
  });

  it('counts admissions by outcome and reason', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(
      /phalanx_admission_requests_total\{operation="CREATE",outcome="mutated",reason="none"\} 1/,
    );
    expect(text).toMatch(
      /phalanx_admission_requests_total\{operation="CREATE",outcome="denied",reason="forbidden"\} 1/,
    );
    expect(text).toMatch(/phalanx_admission_denial_reasons_total\{reason="forbidden"\} 2/);
    expect(text).toMatch(
      /phalanx_admission_requests_total\{operation="unknown",outcome="malformed",reason="none"\} 3/,
    );
    expect(text).toMatch(/phalanx_admission_request_duration_seconds_count\{operation="CREATE"\} 3/);
  });

  it('answers any other path over its TLS with a 404 (health lives on the extender port only)', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: webhook.port, path: '/healthz', ca: webhook.caCert }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(res).toBe(404);
  });
});
