// CPU time of the processes a benchmark runs (Linux /proc), what a loaded machine distorts least:
// other work stretches wall-clock figures, not the CPU a process spends. Sampled before and after a
// measured phase, the difference per pod says where a pod's time goes: the scheduler, Phalanx, the
// API server, etcd.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux builds Node runs on). */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds of the process so far, or undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command (in parentheses, which may hold spaces): utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** The first process whose command line contains `needle` (e.g. a cluster's kube-apiserver binary). */
export function findPid(needle: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(needle)) return Number(entry);
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Named processes; `sample()` reads all their CPU times at once. */
export type CpuSampler = () => Readonly<Record<string, number>>;

export function cpuSampler(pids: Readonly<Record<string, number | undefined>>): CpuSampler {
  return () => {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      const ms = pid === undefined ? undefined : processCpuMs(pid);
      if (ms !== undefined) out[name] = ms;
    }
    return out;
  };
}

/** CPU milliseconds per pod between two samples, per process, rounded to 0.01 ms. */
export function cpuPerPod(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
  pods: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    if (start !== undefined && pods > 0) out[name] = Math.round(((end - start) / pods) * 100) / 100;
  }
  return out;
}
