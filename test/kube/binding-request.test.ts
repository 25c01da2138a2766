import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, httpStatusOf } from '../../src/kube/api-errors.js';
import { leanPodBindings } from '../../src/kube/binding-request.js';
import { loadKubeConfig } from '../../src/kube/kube-config.js';
import { loopbackCertificates } from '../../testbed/loopback-certs.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

describe('pods/binding through the lean request path', () => {
  let server: Server;
  let kubeconfig = '';
  const seen: Seen[] = [];
  /** The answer to the next request: status and body. */
  let answer = { status: 201, body: '{"kind":"Status","status":"Success","code":201}' };

  beforeAll(async () => {
    const certs = await loopbackCertificates('phalanx-test-ca', 1);
    server = createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: JSON.parse(text) as unknown,
        });
        res.writeHead(answer.status, { 'Content-Type': 'application/json' });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'phalanx-bind-'));
    writeFileSync(join(dir, 'ca.pem'), certs.caPem);
    kubeconfig = join(dir, 'kubeconfig');
    // A server URL with a path prefix and a trailing slash, as behind an API proxy.
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: { server: "https://127.0.0.1:${port}/k8s/clusters/c1/", certificate-authority: "${join(dir, 'ca.pem')}" }
users:
- name: admin
  user: { token: "bind-token" }
contexts:
- name: local
  context: { cluster: local, user: admin }
current-context: local
`,
    );
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const binding = {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'p 1', namespace: 'ml', uid: 'u1', annotations: { 'phalanx.dev/gpu-devices': '0,1' } },
    target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
  };

  it("posts the Binding to the pod's binding subresource with the kubeconfig's credentials", async () => {
    answer = { status: 201, body: '{"kind":"Status","status":"Success","code":201}' };
    const api = leanPodBindings(loadKubeConfig({ kubeconfig }));
    await api.createNamespacedPodBinding({ name: 'p 1', namespace: 'ml', body: binding });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/k8s/clusters/c1/api/v1/namespaces/ml/pods/p%201/binding',
      authorization: 'Bearer bind-token',
      contentType: 'application/json',
      body: binding,
    });
  });

  it('throws what the API answered, status and Status message, as client-node errors are read', async () => {
    answer = {
      status: 409,
      body: '{"kind":"Status","status":"Failure","message":"pod p 1 is already assigned to node \\"node-b\\"","code":409}',
    };
    const api = leanPodBindings(loadKubeConfig({ kubeconfig }));
    const err = await api.createNamespacedPodBinding({ name: 'p 1', namespace: 'ml', body: binding }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(httpStatusOf(err)).toBe(409);
    expect(describeError(err)).toBe('HTTP 409: pod p 1 is already assigned to node "node-b"');
  });
});
