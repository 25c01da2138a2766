// CPU accounting of benchmark processes from /proc: what bench:scheduler reports per pod and process.
import { describe, expect, it } from 'vitest';
import { cpuPerPod, cpuSampler, findPid, processCpuMs } from '../../benchmarks/lib/process-cpu.js';

describe('process CPU time', () => {
  it('grows with work this process does, and is unknown for a process that does not exist', () => {
    const before = processCpuMs(process.pid);
    // 60 ms of this thread's own CPU (not wall time: the machine may be loaded), bounded by 10 s.
    const start = process.cpuUsage();
    const deadline = performance.now() + 10_000;
    const spent = (): number => {
      const { user, system } = process.cpuUsage(start);
      return (user + system) / 1000;
    };
    while (spent() < 60 && performance.now() < deadline);
    const after = processCpuMs(process.pid);
    expect(before).toBeGreaterThan(0);
    // /proc counts in 10 ms ticks.
    expect(after! - before!).toBeGreaterThanOrEqual(40);
    expect(processCpuMs(2 ** 30)).toBeUndefined();
  });

  it('finds a process by its command line, and samples only the processes that exist', () => {
    expect(findPid(process.argv[1] ?? 'vitest')).toBeDefined();
    expect(findPid('no-such-command-line-anywhere-4711')).toBeUndefined();
    const sample = cpuSampler({ self: process.pid, gone: 2 ** 30, unknown: undefined })();
    expect(Object.keys(sample)).toEqual(['self']);
  });

  it('divides the CPU spent between two samples by the pods, per process seen in both', () => {
    expect(cpuPerPod({ a: 100, b: 50 }, { a: 400, b: 50, c: 7 }, 3)).toEqual({ a: 100, b: 0 });
    expect(cpuPerPod({ a: 1 }, { a: 2 }, 0)).toEqual({});
  });
});
