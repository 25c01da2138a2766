// Several Phalanx replicas with leader election next to the local cluster, as deploy/ runs its two:
// each replica is its own process (from the working tree, as the shipped ServiceAccount, with the
// shipped configuration of phalanx-runner.ts e2eConfig), with its own ports, its own leader-election
// identity and its own stand-in pod, which it labels `phalanx.dev/leader=true` while it leads.
// The cluster's scheduler and webhook registration name one port each, so two loopback TCP proxies
// stand where deploy/'s Services stand: each forwards a new connection to a replica whose stand-in
// pod carries the leader label (read from the API every 200 ms), TLS passing through untouched, and
// refuses it while no pod is labelled. Used by bench:chaos and the failover e2e test.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { LEADER_POD_LABEL } from '../src/core/names.js';
import type { Cluster } from './cluster.js';
import { applyPhalanxRbac, PHALANX_NAMESPACE, PHALANX_SERVICE_ACCOUNT } from './deploy-rbac.js';
import { groupAlive, recordedPid, startDetached, stopDetached } from './detached-process.js';
import { applyReservationDeploy, startDevicePlugin, type DevicePluginStandIn } from './device-plugin.js';
import { freePort } from './free-port.js';
import { DEPLOY_WEBHOOK, standInPod } from './environment.js';
import { e2eConfig } from './phalanx-runner.js';
import { writeServiceAccountKubeconfig } from './sa-kubeconfig.js';
import { REPO_ROOT } from './versions.js';
import { waitFor } from './wait.js';
import { SERVE_NODE_OPTIONS } from '../src/cli/gc-tuning.js';
import { registerWebhook } from './webhook-registration.js';
import { writeWebhookCertificates } from './webhook-certs.js';

/** deploy/phalanx/config.yaml's Lease. */
export const LEASE_NAME = 'phalanx';
const PROCESS = 'phalanx';
const LOG = 'phalanx.log';
const READY_TIMEOUT_MS = 90_000;
const ROUTE_POLL_MS = 200;

export interface Replica {
  /** Its stand-in pod's name, also its leader-election identity (as a pod name is in a cluster). */
  readonly name: string;
  readonly extenderPort: number;
  readonly webhookPort: number;
  /** `http://127.0.0.1:<port>`: /readyz, /metrics, /debug/ledger. */
  readonly adminUrl: string;
  readonly logFile: string;
  /** Starts (or restarts) the process and waits until /readyz says 200 (synced; leading or not). */
  start(): Promise<void>;
  /** SIGKILL to its process group: no graceful shutdown, no Lease release, no label removal. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  running(): Promise<boolean>;
  logTail(lines?: number): Promise<string>;
}

/** A loopback TCP proxy standing for a Service that selects the leader label. */
export interface LeaderProxy {
  readonly port: number;
  /** Replicas it forwards new connections to now (those whose pod is labelled). */
  targets(): readonly string[];
  /** Connections refused because no replica was labelled, or the labelled one refused them. */
  refused(): number;
  close(): Promise<void>;
}

export interface ReplicaSet {
  readonly replicas: readonly Replica[];
  /** `https://127.0.0.1:<port>`: the extender Service the scheduler calls. */
  readonly extenderUrl: string;
  readonly extenderProxy: LeaderProxy;
  readonly webhookProxy: LeaderProxy;
  readonly phalanxUser: string;
  readonly devicePlugin: DevicePluginStandIn;
  /** The Lease's holder as the API server has it now. */
  leaseHolder(): Promise<string | undefined>;
  /** Stand-in pods labelled leader, as the Services would select them. */
  labelled(): Promise<string[]>;
  byName(name: string): Replica | undefined;
  /** Stops the device plugin, the proxies and every replica. Safe to repeat. */
  stop(): Promise<void>;
}

export interface ReplicaSetOptions {
  /** Where the cluster's scheduler configuration expects the extender: the extender proxy listens here. */
  readonly extenderPort: number;
  /** The webhook proxy's port; the webhook is registered at it. Default: a free port. */
  readonly webhookPort?: number;
  /** Default 2. */
  readonly count?: number;
  readonly policy?: string;
  readonly log?: (line: string) => void;
}

export const replicaName = (i: number): string => `phalanx-replica-${String.fromCharCode(97 + i)}`;

function replica(
  cluster: Cluster,
  opts: {
    name: string;
    stateDir: string;
    saKubeconfig: string;
    extenderPort: number;
    webhookPort: number;
    adminPort: number;
    certFile: string;
    keyFile: string;
    policy?: string;
  },
): Replica {
  const adminUrl = `http://127.0.0.1:${opts.adminPort}`;
  const configFile = join(opts.stateDir, 'phalanx.yaml');
  const logFile = join(opts.stateDir, LOG);
  const command = `cd '${REPO_ROOT}' && exec '${process.execPath}' ${SERVE_NODE_OPTIONS.join(' ')} --import tsx src/cli/main.ts serve -c '${configFile}'`;
  const logTail = async (lines = 40): Promise<string> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };
  return {
    name: opts.name,
    extenderPort: opts.extenderPort,
    webhookPort: opts.webhookPort,
    adminUrl,
    logFile,
    logTail,
    async start() {
      const shipped = await e2eConfig({
        stateDir: opts.stateDir,
        kubeconfig: opts.saKubeconfig,
        extenderPort: opts.extenderPort,
        adminPort: opts.adminPort,
        webhookPort: opts.webhookPort,
        certFile: opts.certFile,
        keyFile: opts.keyFile,
        extenderTls: cluster.extenderTls,
        ...(opts.policy === undefined ? {} : { policy: opts.policy }),
      });
      const election = (shipped['leaderElection'] ?? {}) as Record<string, unknown>;
      const config = {
        ...shipped,
        leaderElection: { ...election, identity: opts.name, podName: opts.name },
      };
      await writeFile(configFile, stringify(config));
      await startDetached({
        name: PROCESS,
        stateDir: opts.stateDir,
        file: 'sh',
        args: ['-c', command],
        env: { ...process.env, KUBECONFIG: opts.saKubeconfig },
        log: LOG,
      });
      await waitFor(
        `${opts.name} /readyz on ${adminUrl}`,
        async () => ((await fetch(`${adminUrl}/readyz`)).status === 200 ? true : undefined),
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, describe: () => logTail(15) },
      );
    },
    async kill() {
      const pid = await recordedPid(opts.stateDir, PROCESS);
      if (pid === undefined) throw new Error(`no pid recorded for ${opts.name}`);
      process.kill(-pid, 'SIGKILL');
      await waitFor(
        `${opts.name} (pid ${pid}) gone`,
        () => Promise.resolve(groupAlive(pid) ? undefined : true),
        {
          timeoutMs: 10_000,
          intervalMs: 20,
        },
      );
      await stopDetached(opts.stateDir, PROCESS); // clears the pid files; the group is gone
    },
    stop: () => stopDetached(opts.stateDir, PROCESS),
    async running() {
      const pid = await recordedPid(opts.stateDir, PROCESS);
      return pid !== undefined && groupAlive(pid);
    },
  };
}

/**
 * A TCP proxy on 127.0.0.1:`port` that forwards each new connection to `portOf(target)` of one of
 * `targets()` (chosen at random, as a Service's endpoints would be); none: the connection is closed.
 */
export function leaderProxy(
  port: number,
  targets: () => readonly string[],
  portOf: (name: string) => number | undefined,
): Promise<LeaderProxy> {
  const sockets = new Set<Socket>();
  let refused = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const names = targets();
    const target = names[Math.floor(Math.random() * names.length)];
    const upstreamPort = target === undefined ? undefined : portOf(target);
    if (upstreamPort === undefined) {
      refused++;
      client.destroy();
      return;
    }
    client.pause();
    const upstream = connect(upstreamPort, '127.0.0.1');
    let connected = false;
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      if (!connected) refused++;
      client.destroy();
    });
    client.once('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        targets,
        refused: () => refused,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

/**
 * Runs `count` replicas in an up cluster as deploy/ installs them (RBAC, ServiceAccount token,
 * a stand-in pod each, one webhook serving pair shared by all, as cert-manager's Secret would be),
 * the two leader proxies, deploy/'s webhook registered at the webhook proxy, and the device-plugin
 * stand-in in this process. Waits until one replica leads and the proxies route to it.
 */
export async function runReplicas(cluster: Cluster, opts: ReplicaSetOptions): Promise<ReplicaSet> {
  const log = opts.log ?? (() => undefined);
  const count = opts.count ?? 2;
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const dir = join(cluster.stateDir, 'replicas');
  await mkdir(dir, { recursive: true });

  await applyReservationDeploy(cluster.kubeconfig);
  await applyPhalanxRbac(cluster.kubeconfig);
  const saKubeconfig = join(dir, 'phalanx-sa.kubeconfig');
  const phalanxUser = await writeServiceAccountKubeconfig({
    adminKubeconfig: cluster.kubeconfig,
    namespace: PHALANX_NAMESPACE,
    serviceAccount: PHALANX_SERVICE_ACCOUNT,
    file: saKubeconfig,
  });
  const certs = await writeWebhookCertificates(dir);

  const replicas: Replica[] = [];
  for (let i = 0; i < count; i++) {
    const name = replicaName(i);
    const stateDir = join(dir, name);
    await mkdir(stateDir, { recursive: true });
    await core
      .createNamespacedPod({ namespace: PHALANX_NAMESPACE, body: standInPod(name) })
      .catch((err: unknown) => {
        if ((err as { code?: number }).code !== 409) throw err; // a reused cluster has it
      });
    replicas.push(
      replica(cluster, {
        name,
        stateDir,
        saKubeconfig,
        extenderPort: await freePort(),
        webhookPort: await freePort(),
        adminPort: await freePort(),
        certFile: certs.certFile,
        keyFile: certs.keyFile,
        ...(opts.policy === undefined ? {} : { policy: opts.policy }),
      }),
    );
  }
  const byName = (name: string) => replicas.find((r) => r.name === name);

  const labelled = async (): Promise<string[]> =>
    (
      await core.listNamespacedPod({
        namespace: PHALANX_NAMESPACE,
        labelSelector: `${LEADER_POD_LABEL}=true`,
      })
    ).items
      .map((p) => p.metadata?.name ?? '')
      .filter((n) => byName(n) !== undefined)
      .sort();
  let routes: readonly string[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      routes = await labelled().catch(() => routes);
      await new Promise((r) => setTimeout(r, ROUTE_POLL_MS));
    }
  })();

  let extenderProxy: LeaderProxy | undefined;
  let webhookProxy: LeaderProxy | undefined;
  let devicePlugin: DevicePluginStandIn | undefined;
  const stop = async (): Promise<void> => {
    await devicePlugin?.stop();
    devicePlugin = undefined;
    polling = false;
    await poll;
    await extenderProxy?.close();
    await webhookProxy?.close();
    for (const r of replicas) await r.stop();
  };
  try {
    // One at a time: the first takes the Lease while the others are still compiling.
    for (const r of replicas) {
      await r.start();
      log(`${r.name} ready (extender ${r.extenderPort}, admin ${r.adminUrl})`);
    }
    extenderProxy = await leaderProxy(
      opts.extenderPort,
      () => routes,
      (n) => byName(n)?.extenderPort,
    );
    webhookProxy = await leaderProxy(
      opts.webhookPort ?? (await freePort()),
      () => routes,
      (n) => byName(n)?.webhookPort,
    );
    await waitFor('a labelled leader', () => Promise.resolve(routes.length === 1 ? routes : undefined), {
      timeoutMs: 60_000,
    });
    log(`leader: ${routes.join(', ')}`);
    await registerWebhook(
      cluster.kubeconfig,
      DEPLOY_WEBHOOK,
      `https://127.0.0.1:${webhookProxy.port}`,
      certs.caPem,
    );
    devicePlugin = await startDevicePlugin({ adminKubeconfig: cluster.kubeconfig, stateDir: dir, log });
  } catch (err) {
    await stop();
    throw err;
  }
  const plugin = devicePlugin;
  return {
    replicas,
    extenderUrl: `https://127.0.0.1:${extenderProxy.port}`,
    extenderProxy,
    webhookProxy,
    phalanxUser,
    devicePlugin: plugin,
    async leaseHolder() {
      const lease = await coordination.readNamespacedLease({
        name: LEASE_NAME,
        namespace: PHALANX_NAMESPACE,
      });
      return lease.spec?.holderIdentity || undefined;
    },
    labelled,
    byName,
    stop,
  };
}
