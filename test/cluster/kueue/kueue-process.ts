// The Kueue manager as a process next to the local cluster: started detached in its own process
// group (it outlives `cluster:up`), its pid and kernel start time recorded in the cluster's state
// directory so that `cluster:down` or a test's teardown — other processes — stop exactly it.
import { spawn } from 'node:child_process';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PID_FILE = 'kueue.pid';
const START_FILE = 'kueue.start-time';
export const KUEUE_LOG = 'kueue.log';
const STOP_GRACE_MS = 10_000;

export interface KueueProcessOptions {
  readonly binary: string;
  readonly args: readonly string[];
  readonly kubeconfig: string;
  readonly stateDir: string;
}

export async function startKueueProcess(opts: KueueProcessOptions): Promise<number> {
  await stopKueue(opts.stateDir);
  const log = await open(join(opts.stateDir, KUEUE_LOG), 'a');
  try {
    const child = spawn(opts.binary, [...opts.args], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: { ...process.env, KUBECONFIG: opts.kubeconfig },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${opts.binary}`);
    child.unref();
    await writeFile(join(opts.stateDir, START_FILE), (await startTime(pid)) ?? '');
    await writeFile(join(opts.stateDir, PID_FILE), `${pid}\n`);
    return pid;
  } finally {
    await log.close();
  }
}

/** True while the recorded Kueue process runs. */
export async function kueueRunning(stateDir: string): Promise<boolean> {
  const pid = await recordedPid(stateDir);
  return pid !== undefined && (await isOurProcess(pid, stateDir));
}

/** Stops the recorded Kueue process group, if any: SIGTERM, then SIGKILL after 10 s. Safe to repeat. */
export async function stopKueue(stateDir: string): Promise<void> {
  const pid = await recordedPid(stateDir);
  if (pid !== undefined && (await isOurProcess(pid, stateDir))) {
    signalGroup(pid, 'SIGTERM');
    for (let waited = 0; waited < STOP_GRACE_MS && groupAlive(pid); waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
    }
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
  await rm(join(stateDir, PID_FILE), { force: true });
  await rm(join(stateDir, START_FILE), { force: true });
}

async function recordedPid(stateDir: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(join(stateDir, PID_FILE), 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** Kernel start time of a process (field 22 of /proc/<pid>/stat), or undefined if it is gone. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Guards against a recycled pid: the process must have the start time recorded at launch. */
async function isOurProcess(pid: number, stateDir: string): Promise<boolean> {
  const recorded = await readFile(join(stateDir, START_FILE), 'utf8').catch(() => undefined);
  return recorded !== undefined && recorded !== '' && recorded === (await startTime(pid));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
