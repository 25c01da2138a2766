// Scenario 5 (issue 8): malformed requests POSTed straight at the extender while a Deployment is
// being scheduled through it are answered 400 and do not disturb the real scheduling.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import {
  boundGpuPods,
  fetchLedger,
  isRunning,
  podsWithLabel,
  usageDifferences,
  usageOfLedger,
  usageOfPods,
} from '../../testbed/observe.js';
import { waitFor } from '../../testbed/wait.js';
import { fractionalDeployment } from '../../testbed/workloads.js';

const CLUSTER = 'phalanx-e2e-abuse';
const NS = 'abuse';
const REPLICAS = 40;
const MAX_ROUNDS = 200;
const MAX_ABUSE_MS = 90_000;
const e2e = useE2E(CLUSTER, { namespaces: [NS] });

const json = { 'Content-Type': 'application/json' };
/** A body above the extender's 8 MiB default limit. */
const HUGE = `{"Pod":{"metadata":{"name":"x"}},"NodeNames":["${'n'.repeat(9 * 1024 * 1024)}"]}`;
const MALFORMED: readonly { verb: string; body: string; what: string }[] = [
  { verb: 'filter', body: '{"Pod": {', what: 'truncated JSON' },
  { verb: 'filter', body: '{}', what: 'no Pod' },
  { verb: 'filter', body: '{"Pod": 5, "NodeNames": ["leaf-a1-c1-n0"]}', what: 'Pod of the wrong type' },
  { verb: 'prioritize', body: 'not json at all', what: 'not JSON' },
  {
    verb: 'prioritize',
    body: '{"Pod": {"metadata": {}}, "NodeNames": "leaf-a1-c1-n0"}',
    what: 'NodeNames not a list',
  },
  { verb: 'bind', body: '{"PodName": "x"}', what: 'bind without namespace, UID and node' },
  { verb: 'bind', body: '[]', what: 'bind with a list' },
];

async function post(verb: string, body: string): Promise<number> {
  const res = await fetch(`${e2e.phalanx.extenderUrl}/${verb}`, { method: 'POST', headers: json, body });
  await res.arrayBuffer();
  return res.status;
}

describe(`malformed extender requests during scheduling (Kubernetes v${selectedK8sVersion()})`, () => {
  it('answers each with 400 while every replica still gets scheduled', async () => {
    await e2e.apps.createNamespacedDeployment({
      namespace: NS,
      body: fractionalDeployment('infer', NS, 2, '0.5'),
    });
    await e2e.apps.patchNamespacedDeploymentScale(
      { name: 'infer', namespace: NS, body: { spec: { replicas: REPLICAS } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // Malformed requests run alongside the scheduler's real ones until every replica runs.
    const statuses = new Map<string, number[]>();
    const record = (what: string, code: number) => statuses.set(what, [...(statuses.get(what) ?? []), code]);
    const started = Date.now();
    let rounds = 0;
    let scheduled = false;
    const abuse = (async () => {
      while (!scheduled && rounds < MAX_ROUNDS && Date.now() - started < MAX_ABUSE_MS) {
        rounds++;
        for (const m of MALFORMED) record(m.what, await post(m.verb, m.body));
        if (rounds % 5 === 1) record('huge body', await post('filter', HUGE));
      }
    })();
    await waitFor(
      `${REPLICAS} Running replicas`,
      async () => {
        const pods = await podsWithLabel(e2e.core, NS, 'app=infer');
        return pods.length === REPLICAS && pods.every(isRunning) ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
    scheduled = true;
    await abuse;
    process.stderr.write(`[e2e] ${rounds} rounds of malformed requests in ${Date.now() - started} ms\n`);
    expect(rounds).toBeGreaterThan(0);
    for (const [what, codes] of statuses) expect(new Set(codes), what).toEqual(new Set([400]));
    await waitFor(
      'the ledger to agree with the annotations',
      async () => {
        const diff = usageDifferences(
          usageOfPods(await boundGpuPods(e2e.core)),
          usageOfLedger(await fetchLedger(e2e.phalanx.extenderUrl)),
        );
        return diff.length === 0 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect((await fetchLedger(e2e.phalanx.extenderUrl)).totals.committedMilli).toBe(REPLICAS * 500);
    const ready = await fetch(`${e2e.phalanx.extenderUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
