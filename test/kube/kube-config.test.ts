import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKubeClients, loadKubeConfig } from '../../src/kube/kube-config.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: { server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true }
users:
- name: admin
  user: { token: "not-a-secret" }
contexts:
- name: local
  context: { cluster: local, user: admin }
current-context: local
`;

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
