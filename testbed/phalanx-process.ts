// The hook that runs Phalanx next to the local cluster: a shell command started detached with
// KUBECONFIG set, logging to a file, its pid recorded so that cluster:down (another process) can
// stop exactly it.
import { startDetached, stopDetached } from './detached-process.js';

/** Names its pid and start-time files in the state directory. */
export const PHALANX_PROCESS = 'phalanx';
export const PHALANX_LOG = 'phalanx.log';
/** The device-plugin stand-in when it runs detached next to Phalanx (cluster:up). */
export const DEVICE_PLUGIN_PROCESS = 'device-plugin';
export const DEVICE_PLUGIN_LOG = 'device-plugin.log';

export interface PhalanxProcessOptions {
  /** Shell command, e.g. `node dist/cli/main.js serve --extender-port 8888`. */
  readonly command: string;
  readonly kubeconfig: string;
  /** The cluster's state directory: pid and log files go there. */
  readonly stateDir: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts the command detached (it outlives `cluster:up`) and returns its pid. */
export function startPhalanx(opts: PhalanxProcessOptions): Promise<number> {
  return startDetached({
    name: PHALANX_PROCESS,
    stateDir: opts.stateDir,
    file: 'sh',
    args: ['-c', opts.command],
    env: { ...process.env, ...opts.env, KUBECONFIG: opts.kubeconfig },
    log: PHALANX_LOG,
  });
}

/**
 * Stops Phalanx and the detached device-plugin stand-in recorded in the state directory, if any:
 * SIGTERM, then SIGKILL after 10 s.
 */
export async function stopPhalanx(stateDir: string): Promise<void> {
  await stopDetached(stateDir, DEVICE_PLUGIN_PROCESS);
  await stopDetached(stateDir, PHALANX_PROCESS);
}
