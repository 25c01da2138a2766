// Where benchmark results go (benchmarks/results/) and the machine they were measured on.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

export const RESULTS_DIR = resolve(import.meta.dirname, '..', 'results');

/** One line naming the hardware and runtime, recorded with every result. */
export function machineDescription(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = Math.round(totalmem() / 2 ** 30);
  const load = loadavg()[0]?.toFixed(1) ?? '?';
  return `${cpus().length} × ${cpu}, ${gib} GiB, ${process.platform} ${process.arch}, node ${process.version}; 1-min load average ${load} when written`;
}

export function writeResult(file: string, content: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, file);
  writeFileSync(path, content);
  return path;
}

export function writeJsonResult(name: string, result: unknown): string {
  return writeResult(`${name}.json`, JSON.stringify(result, null, 2) + '\n');
}

export function readJsonResult(name: string): unknown {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The command line that produced a result, so anyone can re-run it. */
export function commandLine(script: string): string {
  return `npm run ${script} --${process.argv
    .slice(2)
    .map((a) => ` ${a}`)
    .join('')}`;
}
