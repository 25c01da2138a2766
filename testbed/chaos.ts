// Leader kills on the real control plane (issue 17): with two replicas running (replicas.ts), each
// round changes the workload — fractional Deployments scale, whole-GPU gangs (LeaderWorkerSet-like
// StatefulSets) arrive and older ones go —, waits a random moment while the scheduler is binding,
// SIGKILLs the replica holding the Lease, and measures how long until a replica serves again through
// the leader proxy (what kube-scheduler reaches). It restarts the killed one as the standby, waits
// until every wanted pod runs, and checks, from the API and independently of the product code:
//  - no device double-allocated: the bound pods' phalanx.dev/gpu-devices, summed per node/device,
//    never exceed one GPU nor name a device the node lacks; the device-plugin stand-in refused none;
//  - no gang half-bound: each gang's live pods are all bound or none;
//  - each replica's ledger (/debug/ledger, the leader's and the standby's) equals what the bound
//    pods say, i.e. a rebuild from the API;
//  - exactly one pod labelled leader, the Lease holder's.
// Bounded: a round count, per-step deadlines and an overall deadline.
import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type CoreV1Api,
  type V1Pod,
} from '@kubernetes/client-node';
import { callExtender } from './extender-certs.js';
import {
  boundGpuPods,
  capacityViolations,
  fetchLedger,
  gpusPerNode,
  usageDifferences,
  usageOfLedger,
  usageOfPods,
} from './observe.js';
import type { ReplicaSet } from './replicas.js';
import { fractionalDeployment, lwsLikeStatefulSet } from './workloads.js';

export interface ChaosOptions {
  readonly namespace: string;
  readonly rounds: number;
  readonly seed: number;
  /** The round's workload changes and its kill each come at a random moment of this many ms. Default 3000. */
  readonly maxKillDelayMs?: number;
  /** Longest wait for a replica to serve after a kill. Default 60 000. */
  readonly recoverTimeoutMs?: number;
  /** Longest wait for every wanted pod to run after a kill. Default 180 000 (a half-bound gang is unwound after 2 min). */
  readonly settleTimeoutMs?: number;
  /** No round starts after this many ms. Default: no limit besides the rounds. */
  readonly maxMs?: number;
  readonly log?: (line: string) => void;
}

export interface ChaosTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface ChaosEnv {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly replicas: ReplicaSet;
  /** The scheduler's client certificate, to probe the extender as the scheduler would. */
  readonly tls: ChaosTls;
  /** A GPU node name, for the probe's filter. */
  readonly probeNode: string;
}

export interface ChaosRound {
  readonly round: number;
  readonly killed: string;
  readonly newLeader: string | undefined;
  readonly killDelayMs: number;
  /** Pods of the namespace not yet bound when the leader was killed. */
  readonly pendingAtKill: number;
  readonly gangsPartlyBoundAtKill: number;
  /** Kill → the Lease names another replica. */
  readonly leaseTakeoverMs: number | undefined;
  /** Kill → a filter through the leader proxy is served (not refused, not "not serving"). */
  readonly recoveryMs: number | undefined;
  /** Kill → every wanted pod Running and the ledgers agree. */
  readonly settleMs: number | undefined;
  readonly wantedPods: number;
  readonly violations: readonly string[];
}

export interface ChaosSummary {
  readonly rounds: readonly ChaosRound[];
  readonly roundsRun: number;
  readonly violations: number;
  readonly unsettled: number;
  readonly recoveryP50Ms: number | undefined;
  readonly recoveryP99Ms: number | undefined;
  readonly recoveryMaxMs: number | undefined;
  readonly leaseTakeoverP50Ms: number | undefined;
  readonly settleP50Ms: number | undefined;
  readonly settleP99Ms: number | undefined;
}

const FRACTIONS = [
  { name: 'frac-half', fraction: '0.5' },
  { name: 'frac-quarter', fraction: '0.25' },
] as const;
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so a failing round can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The q-quantile (nearest rank) of the values, or undefined when there are none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const isLive = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** True when a replica behind the proxy answers a filter as the serving leader. */
export async function extenderServing(url: string, tls: ChaosTls, node: string): Promise<boolean> {
  const body = JSON.stringify({
    Pod: {
      metadata: {
        name: 'chaos-probe',
        namespace: 'chaos-probe',
        uid: 'chaos-probe-uid',
        annotations: { 'phalanx.dev/gpu-fraction': '0.5' },
      },
      spec: { containers: [{ name: 'main', image: 'probe' }] },
    },
    NodeNames: [node],
  });
  try {
    const reply = await callExtender(`${url}/filter`, { body, ...tls, timeoutMs: 2_000 });
    if (reply.status !== 200) return false;
    const error = (JSON.parse(reply.body) as { Error?: string }).Error ?? '';
    return !error.includes('not serving');
  } catch {
    return false;
  }
}

interface Gang {
  readonly name: string;
  readonly size: number;
  readonly round: number;
}

/** Runs the rounds; returns every round's figures and violations (it throws only on harness failure). */
export async function runChaos(env: ChaosEnv, opts: ChaosOptions): Promise<ChaosSummary> {
  const log = opts.log ?? (() => undefined);
  const rnd = seededRandom(opts.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const { core, apps, replicas } = env;
  const ns = opts.namespace;
  const started = Date.now();
  const wanted = new Map<string, number>(); // app label → pods wanted
  const gangs: Gang[] = [];
  const rounds: ChaosRound[] = [];
  let refusalsBefore = replicas.devicePlugin.refusals().length;

  for (const f of FRACTIONS) {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: fractionalDeployment(f.name, ns, 1, f.fraction),
    });
    wanted.set(f.name, 1);
  }

  for (let round = 1; round <= opts.rounds; round++) {
    if (opts.maxMs !== undefined && Date.now() - started > opts.maxMs) {
      log(`time bound reached after ${round - 1} rounds`);
      break;
    }
    // The workload changes: fractions scale, one or two gangs (≤ 8 GPUs a round) arrive, and the
    // gangs older than the previous round go, so the fabric (64 GPUs) never fills up. Each change
    // is made at a random moment of the round's first `spreadMs`, the kill at another: some land
    // before it, some while no replica serves.
    const changes: { atMs: number; run: () => Promise<unknown> }[] = [];
    const spreadMs = opts.maxKillDelayMs ?? 3_000;
    for (const f of FRACTIONS) {
      const n = int(1, 8);
      wanted.set(f.name, n);
      const body = { spec: { replicas: n } };
      changes.push({
        atMs: int(0, spreadMs),
        run: () => apps.patchNamespacedDeploymentScale({ name: f.name, namespace: ns, body }, merge),
      });
    }
    for (const old of gangs.filter((g) => g.round < round - 1)) {
      wanted.delete(old.name);
      gangs.splice(gangs.indexOf(old), 1);
      changes.push({
        atMs: int(0, spreadMs),
        run: () =>
          apps.deleteNamespacedStatefulSet({
            name: old.name,
            namespace: ns,
            propagationPolicy: 'Background',
          }),
      });
    }
    let budget = 8;
    for (let k = 0, count = int(1, 2); k < count && budget >= 2; k++) {
      const gpus = [1, 2, 4].filter((g) => 2 * g <= budget)[int(0, 2)] ?? 1;
      const size = Math.min(int(2, 4), Math.floor(budget / gpus));
      budget -= size * gpus;
      const name = `gang-${round}-${k}`;
      gangs.push({ name, size, round });
      wanted.set(name, size);
      changes.push({
        atMs: int(0, spreadMs),
        run: () =>
          apps.createNamespacedStatefulSet({ namespace: ns, body: lwsLikeStatefulSet(name, ns, size, gpus) }),
      });
    }
    const applied = Promise.all(
      changes.map(async (c) => {
        await sleep(c.atMs);
        await c.run();
      }),
    ).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );

    // The kill, at a random moment while the changes arrive and the scheduler works through them.
    const killDelayMs = int(0, spreadMs);
    await sleep(killDelayMs);
    const holder = await replicas.leaseHolder();
    const victim = holder === undefined ? undefined : replicas.byName(holder);
    if (victim === undefined)
      throw new Error(`round ${round}: the Lease names ${holder ?? 'nobody'}, not a replica`);
    const before = (await core.listNamespacedPod({ namespace: ns })).items.filter(isLive);
    const pendingAtKill = before.filter((p) => !p.spec?.nodeName).length;
    const gangsPartlyBoundAtKill = gangs.filter((g) => {
      const pods = before.filter((p) => p.metadata?.labels?.['app'] === g.name);
      const bound = pods.filter((p) => p.spec?.nodeName).length;
      return bound > 0 && bound < g.size;
    }).length;
    const t0 = Date.now();
    await victim.kill();

    // Recovery: the Lease moves, then a replica serves through the proxy.
    let leaseTakeoverMs: number | undefined;
    let recoveryMs: number | undefined;
    const recoverBy = t0 + (opts.recoverTimeoutMs ?? 60_000);
    while (Date.now() < recoverBy && recoveryMs === undefined) {
      if (leaseTakeoverMs === undefined) {
        const now = await replicas.leaseHolder().catch(() => holder);
        if (now !== undefined && now !== holder) leaseTakeoverMs = Date.now() - t0;
      }
      if (
        leaseTakeoverMs !== undefined &&
        (await extenderServing(replicas.extenderUrl, env.tls, env.probeNode))
      ) {
        recoveryMs = Date.now() - t0;
      } else {
        await sleep(100);
      }
    }
    const newLeader = await replicas.leaseHolder().catch(() => undefined);
    const changeError = await applied;
    if (changeError !== undefined) throw new Error(`round ${round}: workload change failed: ${changeError}`);
    // The killed replica comes back as the standby (as its pod's container would be restarted).
    const restart = victim.start().then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );

    // Settle: every wanted pod Running (bound), none left over.
    const wantedPods = [...wanted.values()].reduce((a, b) => a + b, 0);
    const settleBy = t0 + (opts.settleTimeoutMs ?? 180_000);
    let settled = false;
    let lastState = '';
    while (Date.now() < settleBy) {
      const pods = (await core.listNamespacedPod({ namespace: ns })).items.filter(isLive);
      const short: string[] = [];
      for (const [app, n] of wanted) {
        const mine = pods.filter((p) => p.metadata?.labels?.['app'] === app);
        const running = mine.filter((p) => p.spec?.nodeName && p.status?.phase === 'Running').length;
        if (running !== n || mine.length !== n)
          short.push(`${app} ${running}/${n} running (${mine.length} pods)`);
      }
      lastState = short.join(', ');
      if (short.length === 0) {
        settled = true;
        break;
      }
      await sleep(250);
    }
    const restartError = await restart;
    if (restartError !== undefined)
      throw new Error(`round ${round}: ${victim.name} did not come back: ${restartError}`);
    const violations: string[] = [];
    if (!settled) violations.push(`not settled within ${(settleBy - t0) / 1000} s: ${lastState}`);
    // The ledgers catch up with the watch: agreement is waited for, briefly.
    const agreeBy = Date.now() + 30_000;
    let disagreements: string[];
    for (;;) {
      disagreements = await ledgerDisagreements(env);
      if (disagreements.length === 0 || Date.now() > agreeBy) break;
      await sleep(500);
    }
    const settleMs = settled && disagreements.length === 0 ? Date.now() - t0 : undefined;
    violations.push(...disagreements);
    violations.push(...(await allocationViolations(env, ns, gangs)));
    const refusals = replicas.devicePlugin.refusals();
    for (const r of refusals.slice(refusalsBefore)) {
      violations.push(`device plugin refused ${r.pod} on ${r.node}: wants ${r.wanted}, ${r.free} free`);
    }
    refusalsBefore = refusals.length;
    const holderNow = await replicas.leaseHolder();
    const labelled = await replicas.labelled();
    if (labelled.length !== 1 || labelled[0] !== holderNow) {
      violations.push(`leader label on [${labelled.join(', ')}], Lease held by ${holderNow ?? 'nobody'}`);
    }
    const result: ChaosRound = {
      round,
      killed: victim.name,
      newLeader,
      killDelayMs,
      pendingAtKill,
      gangsPartlyBoundAtKill,
      leaseTakeoverMs,
      recoveryMs,
      settleMs,
      wantedPods,
      violations,
    };
    rounds.push(result);
    const secs = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
    log(
      `round ${round}: killed ${victim.name} after ${killDelayMs} ms (${pendingAtKill} pending, ${gangsPartlyBoundAtKill} gangs partly bound); ` +
        `Lease → ${newLeader ?? '?'} in ${secs(leaseTakeoverMs)}, serving in ${secs(recoveryMs)}, settled in ${secs(settleMs)} ` +
        `(${wantedPods} pods); ${violations.length === 0 ? 'invariants hold' : `VIOLATIONS: ${violations.join('; ')}`}`,
    );
  }

  const ms = (pick: (r: ChaosRound) => number | undefined) =>
    rounds.map(pick).filter((x): x is number => x !== undefined);
  return {
    rounds,
    roundsRun: rounds.length,
    violations: rounds.reduce(
      (n, r) => n + r.violations.filter((v) => !v.startsWith('not settled')).length,
      0,
    ),
    unsettled: rounds.filter((r) => r.violations.some((v) => v.startsWith('not settled'))).length,
    recoveryP50Ms: quantile(
      ms((r) => r.recoveryMs),
      0.5,
    ),
    recoveryP99Ms: quantile(
      ms((r) => r.recoveryMs),
      0.99,
    ),
    recoveryMaxMs: quantile(
      ms((r) => r.recoveryMs),
      1,
    ),
    leaseTakeoverP50Ms: quantile(
      ms((r) => r.leaseTakeoverMs),
      0.5,
    ),
    settleP50Ms: quantile(
      ms((r) => r.settleMs),
      0.5,
    ),
    settleP99Ms: quantile(
      ms((r) => r.settleMs),
      0.99,
    ),
  };
}

/** Every replica's /debug/ledger against the bound pods' decisions (a rebuild from the API). */
export async function ledgerDisagreements(env: ChaosEnv): Promise<string[]> {
  const fromPods = usageOfPods(await boundGpuPods(env.core));
  const problems: string[] = [];
  for (const r of env.replicas.replicas) {
    const ledger = await fetchLedger(r.adminUrl).catch((err: unknown) => err as Error);
    if (ledger instanceof Error) {
      problems.push(`${r.name}: /debug/ledger: ${ledger.message}`);
      continue;
    }
    problems.push(...usageDifferences(fromPods, usageOfLedger(ledger)).map((d) => `${r.name} ledger: ${d}`));
  }
  return problems;
}

/** Double allocation from the bound pods' decisions, and gangs bound in part. */
async function allocationViolations(env: ChaosEnv, ns: string, gangs: readonly Gang[]): Promise<string[]> {
  const pods = await boundGpuPods(env.core);
  const problems = capacityViolations(usageOfPods(pods), await gpusPerNode(env.core)).map(
    (p) => `double allocation: ${p}`,
  );
  // Who holds each over-committed device, for the report.
  for (const problem of [...problems]) {
    const key = /double allocation: (\S+)\/(\d+) holds/.exec(problem);
    if (!key) continue;
    const holders = pods
      .filter((p) => p.node === key[1] && p.devices.some((d) => d.index === Number(key[2])))
      .map(
        (p) => `${p.namespace}/${p.name}=${p.pod.metadata?.annotations?.['phalanx.dev/gpu-devices'] ?? ''}`,
      );
    problems.push(`  ${key[1]}/${key[2]} held by ${holders.join(', ')}`);
  }
  const live = (await env.core.listNamespacedPod({ namespace: ns })).items.filter(isLive);
  for (const g of gangs) {
    const mine = live.filter((p) => p.metadata?.labels?.['app'] === g.name);
    const bound = mine.filter((p) => p.spec?.nodeName).length;
    if (bound > 0 && bound < g.size) problems.push(`gang ${g.name} half-bound: ${bound}/${g.size}`);
  }
  return problems;
}
