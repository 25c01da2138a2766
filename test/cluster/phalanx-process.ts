// The hook that runs Phalanx next to the local cluster: a shell command started in its own
// process group with KUBECONFIG set, logging to a file, its pid recorded so that cluster:down
// (another process) can stop exactly it.
import { spawn } from 'node:child_process';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PID_FILE = 'phalanx.pid';
const START_FILE = 'phalanx.start-time';
export const PHALANX_LOG = 'phalanx.log';

export interface PhalanxProcessOptions {
  /** Shell command, e.g. `node dist/cli/main.js serve --extender-port 8888`. */
  readonly command: string;
  readonly kubeconfig: string;
  /** The cluster's state directory: pid and log files go there. */
  readonly stateDir: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts the command detached (it outlives `cluster:up`) and returns its pid. */
export async function startPhalanx(opts: PhalanxProcessOptions): Promise<number> {
  await stopPhalanx(opts.stateDir);
  const log = await open(join(opts.stateDir, PHALANX_LOG), 'a');
  try {
    const child = spawn('sh', ['-c', opts.command], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: { ...process.env, ...opts.env, KUBECONFIG: opts.kubeconfig },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start Phalanx: ${opts.command}`);
    child.unref();
    await writeFile(join(opts.stateDir, START_FILE), (await startTime(pid)) ?? '');
    await writeFile(join(opts.stateDir, PID_FILE), `${pid}\n`);
    return pid;
  } finally {
    await log.close();
  }
}

/** Stops the process group recorded in the state directory, if any: SIGTERM, then SIGKILL after 10 s. */
export async function stopPhalanx(stateDir: string): Promise<void> {
  const pidFile = join(stateDir, PID_FILE);
  const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(pid) && pid > 1 && (await isOurProcess(pid, stateDir))) {
    signalGroup(pid, 'SIGTERM');
    for (let waited = 0; waited < 10_000 && groupAlive(pid); waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
    }
    if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
  }
  await rm(pidFile, { force: true });
  await rm(join(stateDir, START_FILE), { force: true });
}

/** Kernel start time of a process (field 22 of /proc/<pid>/stat), or undefined if it is gone. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name (field 2) may contain spaces; fields after its closing parenthesis are plain.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Guards against a recycled pid: the process must have the start time recorded at launch. */
async function isOurProcess(pid: number, stateDir: string): Promise<boolean> {
  const recorded = await readFile(join(stateDir, START_FILE), 'utf8').catch(() => undefined);
  return recorded !== undefined && recorded === (await startTime(pid));
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
