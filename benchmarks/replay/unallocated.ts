// `npx tsx benchmarks/replay/unallocated.ts`: where the unallocated GPUs are when arrivals reach 100 %
// of capacity, and which GPU pods were turned away by then, per trace and policy (means over seeds).
// A diagnosis of the placement-quality metric: GPUs no failed pod could reach because the host's
// CPU or memory (or the model) ran out, remainders of shared devices, untouched devices. Replays
// run one after another in this process. Writes benchmarks/results/<out>.json and .md.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { traceNodes, tracePods } from './traces.js';
import { mean } from '../../src/replay/metrics.js';
import { isReplayPolicy } from '../../src/replay/replay-policies.js';
import { simulateSeed } from '../../src/replay/run-replay.js';
import { parseSeedList } from '../../src/replay/seed-list.js';
import {
  failedGpuPods,
  podsUntilArrived,
  unallocatedBreakdown,
  type UnallocatedBreakdown,
} from '../../src/replay/unallocated-breakdown.js';

const resultsDir = resolve(import.meta.dirname, '..', 'results');

interface Options {
  traces: string;
  policies: string;
  seeds: string;
  out: string;
}

interface Row {
  readonly trace: string;
  readonly policy: string;
  readonly perSeed: readonly (UnallocatedBreakdown & { seed: number })[];
}

const pct = (milli: number, capacity: number): number => (milli / capacity) * 100;

function markdownRow(row: Row): string {
  const cap = row.perSeed[0]?.capacityMilli ?? NaN;
  const avg = (f: (b: UnallocatedBreakdown) => number): string =>
    pct(mean(row.perSeed.map(f)), cap).toFixed(2);
  const kinds = new Map<string, number>();
  for (const b of row.perSeed)
    for (const [kind, f] of Object.entries(b.failed)) kinds.set(kind, (kinds.get(kind) ?? 0) + f.pods);
  const failed = [...kinds]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, pods]) => `${kind} ${(pods / row.perSeed.length).toFixed(1)}`)
    .join(', ');
  return `| ${row.trace} | ${row.policy} | ${avg((b) => b.hostOrModelBound + b.sharedRemainders + b.untouchedDevices)} | ${avg((b) => b.hostOrModelBound)} | ${avg((b) => b.sharedRemainders)} | ${avg((b) => b.untouchedDevices)} | ${failed} |`;
}

function main(opts: Options): void {
  const seeds = parseSeedList(opts.seeds);
  const policies = opts.policies.split(',');
  for (const p of policies) if (!isReplayPolicy(p)) throw new Error(`unknown policy ${p}`);
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const rows: Row[] = [];
  for (const trace of opts.traces.split(',')) {
    for (const policy of policies) {
      if (!isReplayPolicy(policy)) continue;
      const perSeed = seeds.map((seed) => {
        const run = simulateSeed(
          { policy, nodes: traceNodes(), pods: tracePods(trace), podsFile: trace, seeds: [seed] },
          seed,
          (pods, capacity) => podsUntilArrived(pods, capacity, 100),
        );
        return { seed, ...unallocatedBreakdown(run.cluster, failedGpuPods(run.pods, run.series)) };
      });
      rows.push({ trace, policy, perSeed });
      process.stderr.write(`${markdownRow(rows[rows.length - 1] as Row)}\n`);
    }
  }
  const loadAfter = loadavg().map((l) => Number(l.toFixed(2)));
  const md = [
    `Unallocated GPU (% of capacity) when arrivals reach 100 %, by where it is, and the GPU pods turned away by then (pods per seed, by kind), means over seeds ${opts.seeds}; load ${JSON.stringify(loadBefore)} → ${JSON.stringify(loadAfter)}.`,
    'Bound: on nodes where no failed GPU pod fits the free CPU and memory (or the model); the other columns are the remaining nodes.',
    '',
    '| trace | policy | unallocated | bound by host or model | remainders of shared devices | untouched devices | failed pods |',
    '|---|---|---:|---:|---:|---:|---|',
    ...rows.map(markdownRow),
  ].join('\n');
  const out = opts.out.includes('/') ? resolve(opts.out) : join(resultsDir, opts.out);
  writeFileSync(`${out}.json`, JSON.stringify({ seeds, loadBefore, loadAfter, rows }, null, 2) + '\n');
  writeFileSync(`${out}.md`, md + '\n');
  process.stdout.write(md + '\n');
}

new Command('replay-unallocated')
  .description('Where the unallocated GPUs are at 100 % arrived, per trace and policy')
  .option('--traces <list>', 'trace ids (shipped names or generated ones such as multigpu30#1)', 'default')
  .option('--policies <list>', 'policies', 'fgd,phalanx')
  .option('--seeds <list>', 'replay seeds', '42-46')
  .option('--out <name>', 'results/<name>.json and .md, or <path>', 'replay-unallocated')
  .action((opts: Options) => main(opts))
  .parse();
