// `npm run bench:replay`: every trace (shipped and generated variants) × policies × seeds on worker
// threads, one table. Writes benchmarks/results/replay-matrix.json and replay-matrix.md, and, for
// shipped traces, replay-<trace>-<policy>.json with curves for benchmarks/plot-replay.ts.
// With a cross-validation record (benchmarks/replay/crossval.ts), phalanx also runs on each family
// with the constants tuned without that family ("phalanx-heldout").
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { readCrossValidation, sameWeights, type CrossValidationRecord } from './folds.js';
import { defaultWorkers, runJobs, type ReplayJob, type ReplayJobResult } from './jobs.js';
import { formatMatrix, matrixRows } from './matrix-table.js';
import { familyOf, generatedTraces, shippedTraces, traceNodes, tracePods } from './traces.js';
import { PHALANX_WEIGHTS } from '../../src/core/policies/phalanx.js';
import { isReplayPolicy, type ReplayPolicyName } from '../../src/replay/replay-policies.js';
import { combineSeeds, INFLATION_RATIO } from '../../src/replay/run-replay.js';
import { parseSeedList } from '../../src/replay/seed-list.js';

const resultsDir = resolve(import.meta.dirname, '..', 'results');

interface Options {
  traces: string;
  seeds: string;
  generatedSeeds: string;
  variantSeeds: string;
  policies: string;
  workers: number;
  out: string;
  crossval: string | false;
  curves: boolean;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('an integer in 1..64');
  return n;
}

function policiesOf(text: string): ReplayPolicyName[] {
  return text.split(',').map((p) => {
    if (!isReplayPolicy(p)) throw new Error(`unknown policy ${p}`);
    return p;
  });
}

function tracesOf(opts: Options): string[] {
  const variantSeeds = parseSeedList(opts.variantSeeds);
  switch (opts.traces) {
    case 'all':
      return [...shippedTraces(), ...generatedTraces(variantSeeds)];
    case 'shipped':
      return shippedTraces();
    case 'generated':
      return generatedTraces(variantSeeds);
    default:
      return opts.traces.split(',');
  }
}

function jobsFor(
  traces: readonly string[],
  opts: Options,
  cv: CrossValidationRecord | undefined,
): ReplayJob[] {
  const policies = policiesOf(opts.policies);
  const shippedSeeds = parseSeedList(opts.seeds);
  const generatedSeeds = parseSeedList(opts.generatedSeeds);
  const jobs: ReplayJob[] = [];
  for (const trace of traces) {
    const seeds = trace.includes('#') ? generatedSeeds : shippedSeeds;
    const fold = cv?.folds.find((f) => f.heldOut === familyOf(trace));
    for (const seed of seeds) {
      for (const policy of policies) jobs.push({ trace, policy, seed });
      if (fold && policies.includes('phalanx') && !sameWeights(fold.weights, PHALANX_WEIGHTS)) {
        jobs.push({ trace, policy: 'phalanx', seed, weights: fold.weights, label: 'phalanx-heldout' });
      }
    }
  }
  // Slowest first (fgd knows the whole pod-type table from the start), so workers finish together.
  const cost = (j: ReplayJob): number => (j.policy === 'fgd' ? 2 : 1);
  return jobs.sort((a, b) => cost(b) - cost(a));
}

/** replay-<trace>-<policy>.json as `npm run replay -- --all` writes them (curves for the plots). */
function writeCurves(results: readonly ReplayJobResult[]): void {
  const groups = new Map<string, ReplayJobResult[]>();
  for (const r of results) {
    if (r.job.trace.includes('#') || r.job.label) continue;
    const key = `${r.job.trace}|${r.job.policy}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const list of groups.values()) {
    const sorted = [...list].sort((a, b) => a.seed - b.seed);
    const first = sorted[0] as ReplayJobResult;
    const run = {
      policy: first.job.policy,
      podsFile: `openb_pod_list_${first.job.trace}.csv`,
      nodes: traceNodes(),
    };
    const record = {
      // Seconds of replay summed over the seeds (they ran in parallel: there is no one wall clock).
      ...combineSeeds(
        run,
        sorted,
        sorted.reduce((s, r) => s + r.seconds, 0),
      ),
      loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
    };
    writeFileSync(
      join(resultsDir, `replay-${first.job.trace}-${first.job.policy}.json`),
      JSON.stringify(record, null, 2) + '\n',
    );
  }
}

async function main(opts: Options): Promise<void> {
  const cv = opts.crossval === false ? undefined : readCrossValidation(resolve(opts.crossval));
  const traces = tracesOf(opts);
  for (const t of traces) tracePods(t); // fail on a bad trace name before starting workers
  const jobs = jobsFor(traces, opts, cv);
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  process.stderr.write(
    `${jobs.length} replays on ${opts.workers} worker thread(s), load ${loadBefore.join(' ')}\n`,
  );
  const results = await runJobs(jobs, opts.workers, (r, done) => {
    if (done % 10 === 0 || done === jobs.length) {
      const s = ((performance.now() - started) / 1000).toFixed(0);
      process.stderr.write(`  ${done}/${jobs.length} after ${s} s (last: ${r.job.trace} ${r.job.policy})\n`);
    }
  });
  const wallSeconds = (performance.now() - started) / 1000;
  // User + system CPU of the process, worker threads included: on a loaded machine wall time
  // depends on the neighbours, CPU time much less.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const loadAfter = loadavg().map((l) => Number(l.toFixed(2)));
  const rows = matrixRows(traces, results);
  const run = {
    date: new Date().toISOString(),
    command: process.argv.slice(2).join(' '),
    workers: opts.workers,
    replays: jobs.length,
    wallSeconds: Number(wallSeconds.toFixed(1)),
    cpuSeconds: Number(cpuSeconds.toFixed(1)),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAfter,
    inflationRatio: INFLATION_RATIO,
    shippedWeights: PHALANX_WEIGHTS,
    crossValidation: cv ?? null,
  };
  // A bare name goes to benchmarks/results/; a path (exploratory runs) is taken as given.
  const out = opts.out.includes('/') ? resolve(opts.out) : join(resultsDir, opts.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify({ run, rows }, null, 2) + '\n');
  writeFileSync(`${out}.md`, formatMatrix(rows, [run]) + '\n');
  if (opts.curves) writeCurves(results);
  process.stdout.write(formatMatrix(rows, [run]) + '\n');
}

const program = new Command('bench:replay')
  .description('Replay shipped and generated openb traces with several policies on worker threads')
  .option('--traces <which>', 'all | shipped | generated | comma-separated ids (gpushare60#1)', 'all')
  .option('--seeds <list>', 'replay seeds for shipped traces', '42-51')
  .option('--generated-seeds <list>', 'replay seeds for each generated variant', '42-46')
  .option('--variant-seeds <list>', 'generator seeds: instances of each generated variant', '1,2')
  .option('--policies <list>', 'policies', 'bestfit,fgd,phalanx')
  .option('--workers <n>', 'worker threads', positiveInt, defaultWorkers())
  .option('--out <name>', 'results/<name>.json and .md, or <path>.json and .md', 'replay-matrix')
  .option('--crossval <json>', 'cross-validation record', join(resultsDir, 'replay-crossval.json'))
  .option('--no-crossval', 'ignore the cross-validation record')
  .option('--no-curves', 'do not write replay-<trace>-<policy>.json for shipped traces')
  .action((opts: Options) => main(opts));

await program.parseAsync();
