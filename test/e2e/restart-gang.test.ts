// A gang waiting at the bind barrier when Phalanx is SIGKILLed keeps its NVLink clique across the
// restart: the new process plans the gang ahead of its members (they retry on kube-scheduler's error
// backoff), so a pod created right after the restart cannot take the clique the gang needs.
// Default fabric: 4 cliques × 2 nodes × 8 GPUs; three cliques are filled by whole-node pods pinned to
// their nodes, so the gang (2 × 8 GPUs, one clique) and a competing 8-GPU pod both want clique a1-c1.
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { fetchLedger, isBound, podsWithLabel } from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { gangPod, PAUSE_IMAGE } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-restart-gang';
const NS = 'restart-gang';
const FREE_CLIQUE = ['leaf-a1-c1-n0', 'leaf-a1-c1-n1'];
const FILLED = [
  'leaf-a1-c2-n0',
  'leaf-a1-c2-n1',
  'leaf-a2-c1-n0',
  'leaf-a2-c1-n1',
  'leaf-a2-c2-n0',
  'leaf-a2-c2-n1',
];
/** How long the competing pod must stay unbound while the gang's plan holds the clique. */
const HELD_OFF_MS = 5_000;
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

function wholeNode(name: string, node?: string) {
  const gpu = { 'nvidia.com/gpu': '8' };
  return {
    metadata: { name, namespace: NS, labels: { app: name.startsWith('fill') ? 'fill' : name } },
    spec: {
      terminationGracePeriodSeconds: 0,
      ...(node ? { nodeSelector: { 'kubernetes.io/hostname': node } } : {}),
      containers: [{ name: 'main', image: PAUSE_IMAGE, resources: { requests: gpu, limits: gpu } }],
    },
  };
}

describe(`a waiting gang across a restart of Phalanx (Kubernetes v${selectedK8sVersion()})`, () => {
  it('is planned ahead by the new process, so a pod created meanwhile cannot take its clique', async () => {
    for (const [i, node] of FILLED.entries()) {
      await e2e.core.createNamespacedPod({ namespace: NS, body: wholeNode(`fill-${i}`, node) });
    }
    await waitFor('the three other cliques filled', async () => {
      const pods = await podsWithLabel(e2e.core, NS, 'app=fill');
      return pods.length === FILLED.length && pods.every(isBound) ? true : undefined;
    });
    // One member of two: it reaches the barrier and waits there, its plan holding clique a1-c1.
    await e2e.core.createNamespacedPod({ namespace: NS, body: gangPod('g-0', NS, 'g', 2, 8) });
    const reservedOnClique = async () => {
      const ledger = await fetchLedger(e2e.phalanx.adminUrl);
      const reserved = ledger.holdings.filter((h) => h.state === 'reserved' && FREE_CLIQUE.includes(h.node));
      return reserved.length === 2 ? true : undefined;
    };
    await waitFor('the gang planned on the free clique', reservedOnClique);

    await e2e.phalanx.kill();
    await e2e.phalanx.start();
    // The rival comes at once, while the waiting member sits in kube-scheduler's error backoff (its
    // bind call died with the old process): only a plan the new process made by itself keeps it out.
    await e2e.core.createNamespacedPod({ namespace: NS, body: wholeNode('rival') });
    await waitFor('the gang planned again after the restart', reservedOnClique, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, HELD_OFF_MS));
    const rival = await e2e.core.readNamespacedPod({ name: 'rival', namespace: NS });
    expect(rival.spec?.nodeName ?? '').toBe('');

    await e2e.core.createNamespacedPod({ namespace: NS, body: gangPod('g-1', NS, 'g', 2, 8) });
    const gang = await waitFor('the gang bound whole', async () => {
      const pods = await podsWithLabel(e2e.core, NS, 'gang=g');
      return pods.length === 2 && pods.every(isBound) ? pods : undefined;
    });
    expect(gang.map((p) => p.spec?.nodeName).sort()).toEqual(FREE_CLIQUE);
    const rivalAfter = await e2e.core.readNamespacedPod({ name: 'rival', namespace: NS });
    expect(rivalAfter.spec?.nodeName ?? '').toBe('');
  });
});
