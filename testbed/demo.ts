// `npm run demo` (./run demo): builds or reuses the cluster binaries, brings up the local cluster with
// the demo fabric (2 zones × 2 racks × 2 NVLink cliques × 4 nodes × 8 GPUs), runs Phalanx as its
// shipped ServiceAccount, submits sample workloads, prints where everything landed and why the
// pending gang waits, then keeps running until Ctrl-C and cleans up.
import type { V1Pod } from '@kubernetes/client-node';
import { createNamespace, startE2E, stopE2E, type E2E } from './environment.js';
import { gangEvents } from './gang-checks.js';
import { GPU_DEVICES, isRunning, PLACEMENT_LEVEL } from './observe.js';
import { waitFor } from './wait.js';
import { fractionalDeployment, gangPod, lwsLikeStatefulSet } from './workloads.js';
import { Decision, NodeLabel, Req } from '../src/core/names.js';
import { gpuUuidCell, renderTable, tryItHint } from './demo-table.js';
import { RESERVATION_NAMESPACE } from './device-plugin.js';
import { binaryPaths } from './versions.js';

const CLUSTER = 'phalanx-demo';
const NS = 'demo';
const FABRIC = 'testbed/fabric/demo.yaml';
const say = (line: string) => process.stdout.write(`${line}\n`);

interface Workload {
  readonly label: string;
  readonly what: string;
  readonly selector: string;
  readonly expectRunning: number;
}

const WORKLOADS: readonly Workload[] = [
  { label: 'chat-infer', what: 'Deployment, 6 × 0.5 GPU', selector: 'app=chat-infer', expectRunning: 6 },
  { label: 'llm-405b', what: 'LWS-style group, 4 pods × 8 GPUs', selector: 'app=llm-405b', expectRunning: 4 },
  {
    label: 'giant',
    what: 'gang, 5 pods × 8 GPUs, one clique required',
    selector: 'gang=giant',
    expectRunning: 0,
  },
];

async function submit(e2e: E2E): Promise<void> {
  await e2e.apps.createNamespacedDeployment({
    namespace: NS,
    body: fractionalDeployment('chat-infer', NS, 6, '0.5'),
  });
  await e2e.apps.createNamespacedStatefulSet({
    namespace: NS,
    body: lwsLikeStatefulSet('llm-405b', NS, 4, 8),
  });
  // A clique holds 4 nodes × 8 GPUs: a 5-node gang that must stay inside one cannot be placed.
  for (let i = 0; i < 5; i++) {
    const pod = gangPod(`giant-${i}`, NS, 'giant', 5, 8);
    pod.metadata = {
      ...pod.metadata,
      annotations: { ...pod.metadata?.annotations, [Req.topologyRequired]: NodeLabel.clique },
    };
    await e2e.core.createNamespacedPod({ namespace: NS, body: pod });
  }
}

async function podsOf(e2e: E2E, selector: string): Promise<V1Pod[]> {
  return (await e2e.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
}

async function report(e2e: E2E): Promise<void> {
  const nodes = new Map(
    (await e2e.core.listNode()).items.map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]),
  );
  // Whole-GPU pods: the devices the device-plugin stand-in gave them (by pod UID).
  const allocations = e2e.devicePlugin.allocations();
  const rows: string[][] = [];
  const reasons: string[] = [];
  for (const w of WORKLOADS) {
    const pods = (await podsOf(e2e, w.selector)).sort((a, b) =>
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '', 'en', { numeric: true }),
    );
    for (const pod of pods) {
      const node = pod.spec?.nodeName ?? '';
      const labels = nodes.get(node) ?? {};
      rows.push([
        w.label,
        pod.metadata?.name ?? '',
        labels[NodeLabel.zone] ?? '-',
        labels[NodeLabel.leaf] ?? '-',
        labels[NodeLabel.clique]?.replace(/^.*(.{4}\.\d+)$/, '…$1') ?? '-',
        node || 'pending',
        pod.metadata?.annotations?.[GPU_DEVICES] ?? '-',
        gpuUuidCell(
          pod.metadata?.annotations?.[Decision.gpuUuid],
          allocations.get(pod.metadata?.uid ?? '')?.uuids,
        ),
        pod.metadata?.annotations?.[PLACEMENT_LEVEL] ?? '',
      ]);
    }
    if (w.expectRunning === 0 && pods[0]?.metadata?.name) {
      const messages = await gangEvents(e2e.core, NS, pods[0].metadata.name);
      reasons.push(`${w.label} is pending: ${messages.at(-1) ?? '(no event yet)'}`);
    }
  }
  say('');
  say(
    renderTable(
      ['workload', 'pod', 'zone', 'rack (leaf)', 'clique', 'node', 'GPUs', 'GPU UUID', 'gang level'],
      rows,
    ),
  );
  say('');
  say(
    "GPUs: slots of Phalanx's ledger (a share: slot:share). GPU UUID: a share's physical GPU, as its " +
      "reservation pod reported it (phalanx.dev/gpu-uuid); a whole-GPU pod's devices, as the device " +
      "plugin (the test bed's stand-in) picked them.",
  );
  const reservations = (await e2e.core.listNamespacedPod({ namespace: RESERVATION_NAMESPACE })).items;
  say(`GPU reservations in ${RESERVATION_NAMESPACE} (one per GPU holding shares): ${reservations.length}`);
  for (const r of reservations.sort((a, b) =>
    (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  )) {
    say(`  ${r.metadata?.name ?? ''}  ${r.metadata?.annotations?.[Decision.gpuUuid] ?? '(no UUID yet)'}`);
  }
  say('');
  for (const line of reasons) say(line);
}

async function main(): Promise<void> {
  say(
    'Phalanx demo: building or reusing the cluster binaries (the first build takes ~15 min; progress below)',
  );
  const started = Date.now();
  const e2e = await startE2E(CLUSTER, { fabricFile: FABRIC });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping Phalanx and the cluster…`);
    stopE2E(CLUSTER).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`cleanup failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  say(`cluster and Phalanx ready in ${((Date.now() - started) / 1000).toFixed(0)} s; submitting workloads`);

  await createNamespace(e2e, NS);
  await submit(e2e);
  for (const w of WORKLOADS.filter((x) => x.expectRunning > 0)) {
    await waitFor(
      `${w.label} Running`,
      async () => {
        const pods = await podsOf(e2e, w.selector);
        return pods.length === w.expectRunning && pods.every(isRunning) ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
  }
  // The stand-in polls; give it a moment to have allocated every Running whole-GPU pod's devices.
  await waitFor(
    'the device plugin stand-in to allocate the whole-GPU pods',
    async () => {
      const allocated = e2e.devicePlugin.allocations();
      const pods = await podsOf(e2e, 'app=llm-405b');
      return pods.every((p) => allocated.has(p.metadata?.uid ?? '')) ? true : undefined;
    },
    { timeoutMs: 10_000 },
  ).catch(() => undefined);
  await waitFor(
    'the pending gang to be explained',
    async () => {
      const found = await gangEvents(e2e.core, NS, 'giant-0');
      return found.length > 0 ? true : undefined;
    },
    { timeoutMs: 60_000 },
  ).catch(() => undefined);
  await report(e2e);
  say('');
  say(
    tryItHint(
      e2e.cluster.kubeconfig,
      binaryPaths(e2e.cluster.k8sVersion).kubectl,
      e2e.phalanx.adminUrl,
      e2e.phalanx.logFile,
    ),
  );
  say(`Occupancy map (live, in a browser): ${e2e.phalanx.adminUrl}/map/`);
  say(`  as text: npx tsx src/cli/main.ts map --url ${e2e.phalanx.adminUrl}`);
  say('Running until Ctrl-C (then everything is stopped and removed).');
  await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
}

main().catch(async (err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopE2E(CLUSTER).catch(() => undefined);
  process.exit(1);
});
