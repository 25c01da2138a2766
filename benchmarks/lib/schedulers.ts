// The two kube-scheduler processes every cluster benchmark compares, started by the benchmark itself
// from the same binary with the same flags and the same client QPS (deploy/'s clientConnection):
//  - `phalanx-scheduler`: deploy/'s KubeSchedulerConfiguration, extender pointed at Phalanx;
//  - `stock-scheduler`: the same file without the extender (the stock scheduler for reference).
// Leader election is off (each runs alone) and HTTPS serving is off (nothing scrapes them).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  DEPLOY_SCHEDULER_CONFIG,
  localExtender,
  type ExtenderClientTls,
} from '../../testbed/scheduler-config.js';
import { REPO_ROOT } from '../../testbed/versions.js';
import { DEFAULT_SCHEDULER_NAME } from '../../src/core/names.js';

export const PHALANX_SCHEDULER = DEFAULT_SCHEDULER_NAME;
export const STOCK_SCHEDULER = 'stock-scheduler';

type Obj = Record<string, unknown>;

/** deploy/'s configuration for one profile, with or without the extender, for this kubeconfig. */
export function benchSchedulerConfig(
  shipped: Obj,
  opts: { profile: string; extenderUrl?: string; extenderTls?: ExtenderClientTls; kubeconfig: string },
): Obj {
  const extenders = (shipped['extenders'] ?? []) as Obj[];
  const connection = (shipped['clientConnection'] ?? {}) as Obj;
  const config: Obj = {
    ...shipped,
    leaderElection: { leaderElect: false },
    clientConnection: { ...connection, kubeconfig: opts.kubeconfig },
    profiles: [{ schedulerName: opts.profile }],
  };
  if (opts.extenderUrl === undefined) delete config['extenders'];
  else
    config['extenders'] = extenders.map((e) =>
      localExtender(e, opts.extenderUrl as string, opts.extenderTls),
    );
  return config;
}

export interface SchedulerProcess {
  readonly profile: string;
  readonly child: ChildProcess;
  /** SIGSTOP / SIGCONT: lets a backlog of pods build up so that release measures scheduling alone. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startScheduler(opts: {
  binary: string;
  profile: string;
  extenderUrl?: string;
  /** The client side of the extender's mutual TLS (with an https:// extenderUrl). */
  extenderTls?: ExtenderClientTls;
  kubeconfig: string;
  dir: string;
  featureGates?: string;
  /** Serve Go's pprof on this loopback port (anonymous, profiling paths only) instead of no port. */
  pprofPort?: number;
}): Promise<SchedulerProcess> {
  const shipped = parse(await readFile(join(REPO_ROOT, DEPLOY_SCHEDULER_CONFIG), 'utf8')) as Obj;
  const configFile = join(opts.dir, `${opts.profile}.yaml`);
  await writeFile(configFile, stringify(benchSchedulerConfig(shipped, opts)));
  const serving =
    opts.pprofPort === undefined
      ? ['--secure-port=0']
      : [
          `--secure-port=${opts.pprofPort}`,
          '--bind-address=127.0.0.1',
          '--authorization-always-allow-paths=/healthz,/readyz,/livez,/debug/pprof/*',
        ];
  const args = ['--config', configFile, ...serving, '-v=1'];
  if (opts.featureGates) args.push(`--feature-gates=${opts.featureGates}`);
  const log = openSync(join(opts.dir, `${opts.profile}.log`), 'w');
  const child = spawn(opts.binary, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    profile: opts.profile,
    child,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
