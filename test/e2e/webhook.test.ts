// Scenario 3 (issue 8): the webhook through the real kube-apiserver. deploy/'s MutatingWebhookConfiguration
// is registered by URL; pods are created as a user would. Also CI's check that every object of
// deploy/ is accepted by this API server (server-side apply, dry run).
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { binaryPaths, REPO_ROOT, selectedK8sVersion } from '../../testbed/versions.js';
import { refusalOf } from './support/api-refusal.js';
import { DEPLOY_KUSTOMIZATION } from '../../testbed/deploy-rbac.js';
import { useE2E } from './support/e2e-cluster.js';
import { GPU_DEVICES, isRunning } from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { annotatedPod } from '../../testbed/workloads.js';

const run = promisify(execFile);
const CLUSTER = 'phalanx-e2e-webhook';
const NS = 'webhook';
/** The field manager testbed/webhook-registration.ts applies the webhook configuration with. */
const WEBHOOK_FIELD_MANAGER = 'phalanx-cluster-harness';
const DENIED = 'admission webhook "pods.phalanx.dev" denied the request: ';
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

describe(`the admission webhook through kube-apiserver (Kubernetes v${selectedK8sVersion()})`, () => {
  it('tags a pod that asks with an alias annotation, routes it to phalanx-scheduler, and it runs', async () => {
    const created = await e2e.core.createNamespacedPod({
      namespace: NS,
      body: annotatedPod('alias', NS, { 'gpu-fraction': '0.25' }),
    });
    expect(created.spec?.schedulerName).toBe('phalanx-scheduler');
    expect(created.metadata?.annotations).toMatchObject({
      'gpu-fraction': '0.25',
      'phalanx.dev/gpu-fraction': '0.25',
    });
    expect(created.spec?.containers[0]?.resources?.requests?.['phalanx.dev/gpu-milli']).toBe('250');
    expect(created.spec?.containers[0]?.resources?.limits?.['phalanx.dev/gpu-milli']).toBe('250');
    const running = await waitFor('the alias pod Running', async () => {
      const pod = await e2e.core.readNamespacedPod({ name: 'alias', namespace: NS });
      return isRunning(pod) ? pod : undefined;
    });
    expect(running.metadata?.annotations?.[GPU_DEVICES]).toMatch(/^\d+:250m$/);
  });

  it('denies a malformed fraction with the exact reason', async () => {
    const refusal = await refusalOf(() =>
      e2e.core.createNamespacedPod({
        namespace: NS,
        body: annotatedPod('bad-fraction', NS, { 'phalanx.dev/gpu-fraction': '1.5' }),
      }),
    );
    expect(refusal).toEqual({
      code: 422,
      message: `${DENIED}phalanx: annotation phalanx.dev/gpu-fraction: "1.5" must be a number in (0, 1)`,
    });
  });

  it('refuses a pod created with a forged decision annotation', async () => {
    const refusal = await refusalOf(() =>
      e2e.core.createNamespacedPod({
        namespace: NS,
        body: annotatedPod('forged', NS, { [GPU_DEVICES]: '0,1' }, 2),
      }),
    );
    expect(refusal).toEqual({
      code: 403,
      message:
        `${DENIED}phalanx: annotation ${GPU_DEVICES}: written only by the Phalanx extender when it binds ` +
        'the pod; remove it',
    });
  });

  it('refuses an update that rewrites the decision annotation of a bound pod', async () => {
    const refusal = await refusalOf(() =>
      e2e.core.patchNamespacedPod(
        { name: 'alias', namespace: NS, body: { metadata: { annotations: { [GPU_DEVICES]: '7:250m' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(refusal.code).toBe(403);
    expect(refusal.message).toBe(
      'admission webhook "decisions.phalanx.dev" denied the request: phalanx: annotation ' +
        `${GPU_DEVICES}: changed only by the Phalanx extender when it binds the pod; remove it`,
    );
    const pod = await e2e.core.readNamespacedPod({ name: 'alias', namespace: NS });
    expect(pod.metadata?.annotations?.[GPU_DEVICES]).not.toBe('7:250m');
  });

  it('leaves pods that ask for no GPU alone (default scheduler, no Phalanx annotations)', async () => {
    const created = await e2e.core.createNamespacedPod({
      namespace: NS,
      body: annotatedPod('plain', NS, {}),
    });
    expect(created.spec?.schedulerName).toBe('default-scheduler');
    expect(created.metadata?.annotations ?? {}).toEqual({});
  });

  it('has every object of deploy/ accepted by this API server (kubectl apply -k --server-side --dry-run=server)', async () => {
    // A missing kustomization fails here rather than skipping the check.
    await access(DEPLOY_KUSTOMIZATION);
    // As the field manager that registered the webhook by URL: applying the shipped configuration
    // then drops that URL for the Service reference, as a fresh `kubectl apply -k deploy/` would see it.
    const { stdout } = await run(
      binaryPaths(selectedK8sVersion()).kubectl,
      [
        '--kubeconfig',
        e2e.cluster.kubeconfig,
        'apply',
        '-k',
        'deploy/',
        '--server-side',
        `--field-manager=${WEBHOOK_FIELD_MANAGER}`,
        '--dry-run=server',
      ],
      { cwd: REPO_ROOT, timeout: 120_000, maxBuffer: 16 << 20 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).toMatch(/ serverside-applied \(server dry run\)$/);
    expect(stdout).toContain('mutatingwebhookconfiguration.admissionregistration.k8s.io/phalanx');
    expect(stdout).toContain('clusterrole.rbac.authorization.k8s.io/phalanx');
  });
});
