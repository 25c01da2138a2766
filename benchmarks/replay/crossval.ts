// `npm run bench:replay-crossval`: chooses the phalanx policy's constants (the best-fit weight and
// the weight of free GPUs left without host CPU) by
// leave-one-family-out cross-validation. For each family F (gpushare, multigpu, gpuspec, cpu), the
// grid point with the best objective on the other three families is F's fold; the point best on all
// four is what src/core/policies/phalanx.ts ships. The model-constraint charge has no constant (it
// is derived from the learned workload), so there is nothing for a fold to learn about it. Bounded
// and cheap: a coarse grid, a subsample of each family's traces (shipped plus generator seed 1),
// and tuning seeds 1-4 (with 2, seed noise of ~0.1 point decided between grid points), disjoint
// from the reporting seeds (42-51 shipped, 42-46 generated). Writes
// benchmarks/results/replay-crossval.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import {
  bestPoint,
  familyNormalisedObjective,
  meanGapObjective,
  type GapsByFamily,
} from './crossval-objectives.js';
import { FOLD_FAMILIES, type CrossValidationRecord, type FoldFamily } from './folds.js';
import { defaultWorkers, runJobs, type ReplayJob } from './jobs.js';
import { familyOf } from './traces.js';
import { PHALANX_WEIGHTS, type PhalanxWeights } from '../../src/core/policies/phalanx.js';
import { mean } from '../../src/replay/metrics.js';
import { parseSeedList } from '../../src/replay/seed-list.js';

const resultsDir = resolve(import.meta.dirname, '..', 'results');

/** Per family: the shipped lists plus the first instance of each generated level. */
const TUNING_TRACES: Readonly<Record<FoldFamily, readonly string[]>> = {
  gpushare: ['gpushare20', 'gpushare40', 'gpushare60#1', 'gpushare80#1'],
  multigpu: ['multigpu20', 'multigpu30#1', 'multigpu50#1'],
  gpuspec: ['gpuspec05', 'gpuspec10', 'gpuspec20#1', 'gpuspec33#1'],
  cpu: ['cpu0', 'cpu050', 'cpu100', 'cpu200#1', 'cpu300#1'],
};

const key = (w: PhalanxWeights): string => `bf${w.bestFit}-s${w.stranded}`;

interface Options {
  bestFitGrid: number[];
  strandedGrid: number[];
  seeds: string;
  workers: number;
  out: string;
}

async function main(opts: Options): Promise<void> {
  const seeds = parseSeedList(opts.seeds);
  const grid = (): PhalanxWeights[] =>
    opts.bestFitGrid.flatMap((bestFit) => opts.strandedGrid.map((stranded) => ({ bestFit, stranded })));
  const traces = FOLD_FAMILIES.flatMap((f) => TUNING_TRACES[f]);
  const jobs: ReplayJob[] = [];
  for (const trace of traces) {
    for (const seed of seeds) {
      jobs.push({ trace, policy: 'fgd', seed });
      for (const weights of grid())
        jobs.push({ trace, policy: 'phalanx', seed, weights, label: key(weights) });
    }
  }
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const started = performance.now();
  process.stderr.write(
    `${jobs.length} replays on ${opts.workers} worker thread(s), load ${loadBefore.join(' ')}\n`,
  );
  const results = await runJobs(jobs, opts.workers, (_r, done) => {
    if (done % 20 === 0)
      process.stderr.write(
        `  ${done}/${jobs.length} after ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      );
  });
  const value = new Map<string, number>();
  for (const r of results)
    value.set(`${r.job.trace}|${r.job.label ?? r.job.policy}|${r.seed}`, r.unallocatedPctAt100);
  /** phalanx(w) − fgd on one trace, mean over the tuning seeds (paired). */
  const gap = (trace: string, w: PhalanxWeights): number =>
    mean(
      seeds.map(
        (s) => (value.get(`${trace}|${key(w)}|${s}`) ?? NaN) - (value.get(`${trace}|fgd|${s}`) ?? NaN),
      ),
    );
  const gapsOf = (families: readonly FoldFamily[]): GapsByFamily =>
    families.map((f) => grid().map((w) => TUNING_TRACES[f].map((t) => gap(t, w))));
  const choose = (
    families: readonly FoldFamily[],
    objective = meanGapObjective,
  ): { weights: PhalanxWeights; objective: number } => {
    const best = bestPoint(gapsOf(families), objective);
    return { weights: grid()[best.point]!, objective: Number(best.objective.toFixed(4)) };
  };
  const record: CrossValidationRecord = {
    folds: FOLD_FAMILIES.map((heldOut) => ({
      heldOut,
      ...choose(FOLD_FAMILIES.filter((f) => f !== heldOut)),
    })),
    allFamilies: choose(FOLD_FAMILIES),
  };
  // A check on the objective itself: the choice with every family given an equal voice.
  const normalised = {
    folds: FOLD_FAMILIES.map((heldOut) => ({
      heldOut,
      weights: choose(
        FOLD_FAMILIES.filter((f) => f !== heldOut),
        familyNormalisedObjective,
      ).weights,
    })),
    allFamilies: choose(FOLD_FAMILIES, familyNormalisedObjective).weights,
  };
  const table = traces.map((trace) => ({
    trace,
    family: familyOf(trace),
    gaps: Object.fromEntries(grid().map((w) => [key(w), Number(gap(trace, w).toFixed(3))])),
  }));
  const run = {
    date: new Date().toISOString(),
    seeds,
    workers: opts.workers,
    replays: jobs.length,
    wallSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg().map((l) => Number(l.toFixed(2))),
    shippedBefore: PHALANX_WEIGHTS,
  };
  mkdirSync(resultsDir, { recursive: true });
  const out = opts.out.includes('/') ? resolve(opts.out) : join(resultsDir, opts.out);
  writeFileSync(
    `${out}.json`,
    JSON.stringify(
      { ...record, familyNormalised: normalised, run, tuningTraces: TUNING_TRACES, grid: table },
      null,
      2,
    ) + '\n',
  );
  const md = [
    `Leave-one-family-out cross-validation of the phalanx best-fit weight (bf) and host-stranding weight (s) (the model-constraint charge has no constant): objective = mean(phalanx − fgd) + max(0, worst gap), in points of unallocated GPU % at 100% arrived, tuning seeds ${opts.seeds}.`,
    `Run ${run.date}: ${run.replays} replays, ${run.wallSeconds} s on ${run.workers} workers, load ${JSON.stringify(run.loadAverageBefore)} → ${JSON.stringify(run.loadAverageAfter)}.`,
    '',
    '| held-out family | chosen on the other three | training objective | chosen by the family-normalised objective |',
    '|---|---|---:|---|',
    ...record.folds.map(
      (f, i) =>
        `| ${f.heldOut} | ${key(f.weights)} | ${f.objective} | ${key(normalised.folds[i]!.weights)} |`,
    ),
    `| (none: shipped) | ${key(record.allFamilies.weights)} | ${record.allFamilies.objective} | ${key(normalised.allFamilies)} |`,
    '',
    "Family-normalised objective: each family's mean gap as a z-score over the grid, averaged over the families, plus the same worst positive gap — a family with large margins everywhere cannot steer the choice by its scale alone.",
    '',
    `| trace | ${grid().map(key).join(' | ')} |`,
    `|---|${grid()
      .map(() => '---:')
      .join('|')}|`,
    ...table.map(
      (r) =>
        `| ${r.trace} | ${grid()
          .map((w) => (r.gaps[key(w)] ?? NaN).toFixed(2))
          .join(' | ')} |`,
    ),
  ].join('\n');
  writeFileSync(`${out}.md`, md + '\n');
  process.stdout.write(md + '\n');
}

/** A comma-separated list of 1-8 distinct weights, each finite and in [0, 10 000]. */
function weightList(text: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.length < 1 || values.length > 8)
    throw new InvalidArgumentError('1 to 8 comma-separated numbers');
  for (const v of values)
    if (!Number.isFinite(v) || v < 0 || v > 10_000)
      throw new InvalidArgumentError(`each weight a number in 0..10000, got ${JSON.stringify(text)}`);
  if (new Set(values).size !== values.length) throw new InvalidArgumentError('weights must be distinct');
  return values;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('an integer in 1..64');
  return n;
}

await new Command('bench:replay-crossval')
  .description('Choose the phalanx constants by leave-one-family-out cross-validation')
  .option('--best-fit-grid <list>', 'best-fit weights tried', weightList, [80, 120, 160])
  .option('--stranded-grid <list>', 'host-stranding weights tried', weightList, [0.5, 1, 2])
  .option('--seeds <list>', 'tuning seeds (keep them apart from the reporting seeds)', '1-4')
  .option('--workers <n>', 'worker threads', positiveInt, defaultWorkers())
  .option('--out <name>', 'results/<name>.json and .md, or <path>', 'replay-crossval')
  .action((opts: Options) => main(opts))
  .parseAsync();
