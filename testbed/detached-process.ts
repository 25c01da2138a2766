// A process next to the local cluster (Phalanx, Kueue): started detached in its own process group
// (it outlives the command that started it), logging to a file, its pid and kernel start time
// recorded in the cluster's state directory so that another process (cluster:down, a test's
// teardown) stops exactly it and never a recycled pid.
import { spawn } from 'node:child_process';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DetachedProcessOptions {
  /** Names its files in the state directory: `<name>.pid`, `<name>.start-time`. */
  readonly name: string;
  readonly stateDir: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Log file name in the state directory (appended to). */
  readonly log: string;
}

const pidFile = (stateDir: string, name: string) => join(stateDir, `${name}.pid`);
const startFile = (stateDir: string, name: string) => join(stateDir, `${name}.start-time`);

/** Stops a previous instance, starts the process and records it; returns its pid. */
export async function startDetached(opts: DetachedProcessOptions): Promise<number> {
  await stopDetached(opts.stateDir, opts.name);
  const log = await open(join(opts.stateDir, opts.log), 'a');
  try {
    const child = spawn(opts.file, [...opts.args], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: opts.env,
    });
    const pid = child.pid;
    if (pid === undefined)
      throw new Error(`could not start ${opts.name}: ${opts.file} ${opts.args.join(' ')}`);
    child.unref();
    await writeFile(startFile(opts.stateDir, opts.name), (await startTime(pid)) ?? '');
    await writeFile(pidFile(opts.stateDir, opts.name), `${pid}\n`);
    return pid;
  } finally {
    await log.close();
  }
}

/** True while the recorded process runs. */
export async function detachedRunning(stateDir: string, name: string): Promise<boolean> {
  const pid = await recordedPid(stateDir, name);
  return pid !== undefined && (await isOurProcess(pid, stateDir, name));
}

/** Stops the recorded process group, if any: SIGTERM, then SIGKILL after the grace. Safe to repeat. */
export async function stopDetached(stateDir: string, name: string, graceMs = 10_000): Promise<void> {
  const pid = await recordedPid(stateDir, name);
  if (pid !== undefined && (await isOurProcess(pid, stateDir, name))) {
    signalGroup(pid, 'SIGTERM');
    for (let waited = 0; waited < graceMs && groupAlive(pid); waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
    }
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
  await rm(pidFile(stateDir, name), { force: true });
  await rm(startFile(stateDir, name), { force: true });
}

export async function recordedPid(stateDir: string, name: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(pidFile(stateDir, name), 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** True while any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kernel start time of a process (field 22 of /proc/<pid>/stat), or undefined if it is gone. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name (field 2) may contain spaces; fields after its closing parenthesis are plain.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Guards against a recycled pid: the process must have the start time recorded at launch. */
async function isOurProcess(pid: number, stateDir: string, name: string): Promise<boolean> {
  const recorded = await readFile(startFile(stateDir, name), 'utf8').catch(() => undefined);
  return recorded !== undefined && recorded !== '' && recorded === (await startTime(pid));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
