// Scenario 5 (issues 8 and 17): the extender port is mutual TLS — a caller without the scheduler's
// client certificate, or with one from another CA, is refused before any verb, and the port serves
// the verbs only (no /debug, /metrics or probes; those are on the admin port) — while the real
// kube-scheduler schedules through it with its tlsConfig. Malformed requests POSTed with the right
// certificate while a Deployment is being scheduled are answered 400 and do not disturb scheduling.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { callExtender, schedulerClientTls, type ExtenderCall } from '../../testbed/extender-certs.js';
import { loopbackCa, loopbackClient } from '../../testbed/loopback-certs.js';
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

let client: { ca: string; cert: string; key: string };
beforeAll(async () => {
  client = await schedulerClientTls(e2e.phalanx.extenderTls);
});
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

/** With the scheduler's client certificate. */
async function post(verb: string, body: string): Promise<number> {
  return (await callExtender(`${e2e.phalanx.extenderUrl}/${verb}`, { ...client, body })).status;
}

/** The HTTP status, or `refused (<code>)` when the connection fails (TLS handshake refused). */
async function outcome(url: string, call: ExtenderCall): Promise<number | string> {
  return callExtender(url, call).then(
    (reply) => reply.status,
    (err: NodeJS.ErrnoException) => `refused (${err.code ?? err.message})`,
  );
}

const refused = (o: number | string): boolean =>
  typeof o === 'string' ? o.startsWith('refused') : o >= 400 && o < 500;

/** A request that would reserve a whole 8-GPU node for a made-up gang if it got through. */
const INVENTED_GANG = JSON.stringify({
  Pod: {
    metadata: {
      name: 'intruder-0',
      namespace: 'default',
      uid: '00000000-0000-4000-8000-000000000017',
      annotations: { 'phalanx.dev/pod-group': 'intruder', 'phalanx.dev/group-size': '4' },
    },
    spec: { containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': '8' } } }] },
  },
  NodeNames: ['leaf-a1-c1-n0'],
});

describe(`the extender port is mutual TLS (Kubernetes v${selectedK8sVersion()})`, () => {
  it('refuses a caller without a client certificate, or with one from another CA, before any verb', async () => {
    const filter = `${e2e.phalanx.extenderUrl}/filter`;
    const before = (await fetchLedger(e2e.phalanx.adminUrl)).totals;
    const none = await outcome(filter, { ca: client.ca, body: INVENTED_GANG });
    const other = await loopbackCa('intruder-ca', 1);
    const stranger = await loopbackClient(other, 'phalanx-scheduler', 1);
    const wrong = await outcome(filter, {
      ca: client.ca,
      cert: stranger.certPem,
      key: stranger.keyPem,
      body: INVENTED_GANG,
    });
    const plain = await fetch(filter.replace('https://', 'http://'), {
      method: 'POST',
      body: INVENTED_GANG,
    }).then(
      (r) => r.status,
      (err: Error) => `refused (${err.message})`,
    );
    process.stderr.write(`[e2e] no certificate: ${none}; other CA: ${wrong}; plain HTTP: ${plain}\n`);
    expect(refused(none), `no certificate: ${none}`).toBe(true);
    expect(refused(wrong), `other CA: ${wrong}`).toBe(true);
    expect(refused(plain), `plain HTTP: ${plain}`).toBe(true);
    // Nothing was reserved for the invented gang.
    expect((await fetchLedger(e2e.phalanx.adminUrl)).totals).toEqual(before);
  });

  it('serves the verbs only: debug, metrics and probes are on the admin port', async () => {
    for (const path of ['/debug/ledger', '/metrics', '/healthz', '/readyz']) {
      const reply = await callExtender(`${e2e.phalanx.extenderUrl}${path}`, { ...client, method: 'GET' });
      expect(reply.status, path).toBe(404);
      expect((await fetch(`${e2e.phalanx.adminUrl}${path}`)).status, `admin ${path}`).toBe(200);
    }
  });
});

describe(`malformed extender requests during scheduling through mutual TLS (Kubernetes v${selectedK8sVersion()})`, () => {
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
          usageOfLedger(await fetchLedger(e2e.phalanx.adminUrl)),
        );
        return diff.length === 0 ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect((await fetchLedger(e2e.phalanx.adminUrl)).totals.committedMilli).toBe(REPLICAS * 500);
    const ready = await fetch(`${e2e.phalanx.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
