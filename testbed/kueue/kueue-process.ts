// The Kueue manager as a process next to the local cluster: started detached in its own process
// group (it outlives `cluster:up`), recorded in the cluster's state directory so that `cluster:down`
// or a test's teardown — other processes — stop exactly it.
import { detachedRunning, startDetached, stopDetached } from '../detached-process.js';

const NAME = 'kueue';
export const KUEUE_LOG = 'kueue.log';

export interface KueueProcessOptions {
  readonly binary: string;
  readonly args: readonly string[];
  readonly kubeconfig: string;
  readonly stateDir: string;
}

export function startKueueProcess(opts: KueueProcessOptions): Promise<number> {
  return startDetached({
    name: NAME,
    stateDir: opts.stateDir,
    file: opts.binary,
    args: opts.args,
    env: { ...process.env, KUBECONFIG: opts.kubeconfig },
    log: KUEUE_LOG,
  });
}

/** True while the recorded Kueue process runs. */
export function kueueRunning(stateDir: string): Promise<boolean> {
  return detachedRunning(stateDir, NAME);
}

/** Stops the recorded Kueue process group, if any: SIGTERM, then SIGKILL after 10 s. Safe to repeat. */
export function stopKueue(stateDir: string): Promise<void> {
  return stopDetached(stateDir, NAME);
}
