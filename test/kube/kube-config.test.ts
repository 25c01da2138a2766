import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClients, loadKubeConfig } from '../../src/kube/kube-config.js';
import { loopbackCertificates } from '../../testbed/loopback-certs.js';

/** A one-cluster, one-user kubeconfig; `cluster` is the YAML flow mapping of the cluster entry. */
const kubeconfigText = (cluster: string): string => `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: ${cluster}
users:
- name: admin
  user: { token: "not-a-secret" }
contexts:
- name: local
  context: { cluster: local, user: admin }
current-context: local
`;
const KUBECONFIG = kubeconfigText('{ server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true }');

describe('loadKubeConfig', () => {
  it('loads an explicit kubeconfig file and builds the clients', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phalanx-kc-'));
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, KUBECONFIG);
    const kc = loadKubeConfig({ kubeconfig: path, inCluster: true });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    const clients = createKubeClients(kc);
    expect(typeof clients.core.createNamespacedPodBinding).toBe('function');
    expect(typeof clients.coordination.replaceNamespacedLease).toBe('function');
  });

  it('names a missing file', () => {
    expect(() => loadKubeConfig({ kubeconfig: '/nonexistent/kubeconfig' })).toThrow(
      'kubeconfig /nonexistent/kubeconfig: file not found',
    );
  });

  it('asks for a kubeconfig outside a cluster', () => {
    expect(() => loadKubeConfig({})).toThrow(/pass --kubeconfig/);
  });
});

describe('connection reuse', () => {
  let server: Server;
  let port = 0;
  let handshakes = 0;
  let dir = '';
  beforeAll(async () => {
    const certs = await loopbackCertificates('phalanx-test-ca', 1);
    server = createServer({ key: certs.keyPem, cert: certs.certPem }, (_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ml' } }));
    });
    server.on('secureConnection', () => (handshakes += 1));
    // Like the API server (Go): no Keep-Alive hint, idle connections kept for long (90 s there).
    server.keepAliveTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'phalanx-kc-'));
    writeFileSync(join(dir, 'ca.pem'), certs.caPem);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function kubeconfigFile(): string {
    const path = join(dir, 'kubeconfig');
    writeFileSync(
      path,
      kubeconfigText(
        `{ server: "https://127.0.0.1:${port}", certificate-authority: "${join(dir, 'ca.pem')}" }`,
      ),
    );
    return path;
  }

  async function handshakesFor(kc: KubeConfig, calls: number): Promise<number> {
    const core = kc.makeApiClient(CoreV1Api);
    const before = handshakes;
    for (let i = 0; i < calls; i++)
      expect((await core.readNamespace({ name: 'ml' })).metadata?.name).toBe('ml');
    return handshakes - before;
  }

  it('sends the API calls of one client over a few kept-alive TLS connections, not one each', async () => {
    // undici may open a second connection when a call starts before the previous one released its
    // socket; the count stays bounded however many calls follow.
    expect(await handshakesFor(loadKubeConfig({ kubeconfig: kubeconfigFile() }), 12)).toBeLessThanOrEqual(2);
  });

  it('keeps an idle connection longer than the 4 s undici defaults to (gangs come seconds apart)', async () => {
    const kc = loadKubeConfig({ kubeconfig: kubeconfigFile() });
    expect(await handshakesFor(kc, 1)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 4_600));
    expect(await handshakesFor(kc, 1)).toBe(0);
  }, 15_000);

  it('is needed: a plain client-node KubeConfig opens a connection per call', async () => {
    const plain = new KubeConfig();
    plain.loadFromFile(kubeconfigFile());
    expect(await handshakesFor(plain, 3)).toBe(3);
  });
});
