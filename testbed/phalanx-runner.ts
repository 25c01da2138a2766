// Runs `phalanx serve` from the source tree next to the local cluster, as the shipped ServiceAccount
// with the shipped configuration (see e2eConfig), starts it through testbed's process hook, and can SIGKILL and
// restart it for the restart scenario.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { groupAlive, recordedPid } from './detached-process.js';
import { PHALANX_LOG, PHALANX_PROCESS, startPhalanx, stopPhalanx } from './phalanx-process.js';
import { REPO_ROOT } from './versions.js';
import { PHALANX_NAMESPACE } from './deploy-rbac.js';
import { SERVE_NODE_OPTIONS } from '../src/cli/gc-tuning.js';
import type { ExtenderCertificateFiles } from './extender-certs.js';
import { waitFor } from './wait.js';

export interface PhalanxRunOptions {
  readonly stateDir: string;
  /** Kubeconfig of the Phalanx ServiceAccount (never the admin one). */
  readonly kubeconfig: string;
  readonly extenderPort: number;
  /** Health, readiness, metrics and /debug/ledger (plain HTTP on loopback). */
  readonly adminPort: number;
  readonly webhookPort: number;
  /** The webhook's serving pair. */
  readonly certFile: string;
  readonly keyFile: string;
  /** The extender's mutual TLS (the cluster's, so the scheduler's client certificate is accepted). */
  readonly extenderTls: ExtenderCertificateFiles;
  readonly policy?: string;
}

export interface PhalanxRunner {
  /** `https://127.0.0.1:<port>`: the verbs only, a client certificate required. */
  readonly extenderUrl: string;
  /** `http://127.0.0.1:<port>`: /healthz, /readyz, /metrics, /debug/ledger. */
  readonly adminUrl: string;
  readonly extenderTls: ExtenderCertificateFiles;
  readonly logFile: string;
  /** Starts (or restarts) Phalanx and waits until /readyz says 200. */
  start(): Promise<void>;
  /** SIGKILL to its process group: no graceful shutdown, no lease release. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** The last lines of Phalanx's log, for failure messages. */
  logTail(lines?: number): Promise<string>;
}

const READY_TIMEOUT_MS = 90_000;
/**
 * The Pod that stands for Phalanx's own in the cluster (Phalanx runs as a process next to it): the
 * leader labels it, as the shipped Deployment's leader labels itself for the Services.
 */
export const PHALANX_STAND_IN_POD = 'phalanx-e2e';
export const DEPLOY_PHALANX_CONFIG = join(REPO_ROOT, 'deploy/phalanx/config.yaml');

type Obj = Record<string, unknown>;
const section = (config: Obj, key: string): Obj => (config[key] ?? {}) as Obj;

/**
 * deploy/'s Phalanx configuration with only what running outside the cluster needs changed:
 * loopback listeners, the extender's and the webhook's certificate files generated on this machine
 * instead of the Secrets mounted in the cluster (the webhook's instead of a self-signed CA), the
 * ServiceAccount kubeconfig,
 * a fixed leader-election identity (a restarted process takes its own lease back at once, as a
 * restarted pod that kept its name would after the lease expired) and the stand-in pod to label.
 */
export async function e2eConfig(opts: PhalanxRunOptions): Promise<Obj> {
  const shipped = parse(await readFile(DEPLOY_PHALANX_CONFIG, 'utf8')) as Obj;
  return {
    ...shipped,
    extender: {
      ...section(shipped, 'extender'),
      host: '127.0.0.1',
      port: opts.extenderPort,
      tls: {
        certFile: opts.extenderTls.serverCertFile,
        keyFile: opts.extenderTls.serverKeyFile,
        clientCaFile: opts.extenderTls.caFile,
      },
    },
    admin: { ...section(shipped, 'admin'), host: '127.0.0.1', port: opts.adminPort },
    webhook: {
      ...section(shipped, 'webhook'),
      host: '127.0.0.1',
      port: opts.webhookPort,
      tls: { certFile: opts.certFile, keyFile: opts.keyFile },
    },
    kube: { kubeconfig: opts.kubeconfig },
    leaderElection: {
      ...section(shipped, 'leaderElection'),
      identity: PHALANX_STAND_IN_POD,
      podName: PHALANX_STAND_IN_POD,
      podNamespace: PHALANX_NAMESPACE,
    },
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    // PHALANX_E2E_LOG_LEVEL=debug logs every verb (kept in .cluster/e2e-logs/ after each file).
    ...(process.env['PHALANX_E2E_LOG_LEVEL'] ? { logLevel: process.env['PHALANX_E2E_LOG_LEVEL'] } : {}),
  };
}

export function phalanxRunner(opts: PhalanxRunOptions): PhalanxRunner {
  const extenderUrl = `https://127.0.0.1:${opts.extenderPort}`;
  const adminUrl = `http://127.0.0.1:${opts.adminPort}`;
  const configFile = join(opts.stateDir, 'phalanx-e2e.yaml');
  const logFile = join(opts.stateDir, PHALANX_LOG);
  // `exec` makes node the group leader's process itself, so SIGKILL hits Phalanx directly.
  const command = `cd '${REPO_ROOT}' && exec '${process.execPath}' ${SERVE_NODE_OPTIONS.join(' ')} --import tsx src/cli/main.ts serve -c '${configFile}'`;

  const logTail = async (lines = 40): Promise<string> => {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };

  return {
    extenderUrl,
    adminUrl,
    extenderTls: opts.extenderTls,
    logFile,
    logTail,
    async start() {
      await writeFile(configFile, stringify(await e2eConfig(opts)));
      const pid = await startPhalanx({ command, kubeconfig: opts.kubeconfig, stateDir: opts.stateDir });
      await waitFor(
        `Phalanx /readyz on ${adminUrl}`,
        async () => ((await fetch(`${adminUrl}/readyz`)).status === 200 ? true : undefined),
        {
          timeoutMs: READY_TIMEOUT_MS,
          intervalMs: 300,
          describe: () => logTail(15),
          hopeless: () => (groupAlive(pid) ? undefined : `Phalanx (pid ${pid}) exited`),
        },
      );
    },
    async kill() {
      const pid = await recordedPid(opts.stateDir, PHALANX_PROCESS);
      if (pid === undefined) throw new Error('no Phalanx pid recorded');
      process.kill(-pid, 'SIGKILL');
      await waitFor(`Phalanx (pid ${pid}) gone`, () => Promise.resolve(groupAlive(pid) ? undefined : true), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      await stopPhalanx(opts.stateDir); // clears the pid files; the group is already gone
    },
    stop: () => stopPhalanx(opts.stateDir),
  };
}
