// `npm run replay`: replays openb traces (FGD protocol) with placement policies and reports the
// unallocated GPU % at 100% arrived. `--all` runs every policy on every trace in the traces folder
// and writes benchmarks/results/replay-<trace>-<policy>.json.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { formatTable, traceName } from '../replay/report.js';
import { isReplayPolicy, REPLAY_POLICIES, type ReplayPolicyName } from '../replay/replay-policies.js';
import { runReplay, type ReplayResult } from '../replay/run-replay.js';
import { parseSeedList } from '../replay/seed-list.js';
import { seededRng } from '../replay/seeded-rng.js';
import { parseNodeCsv, parsePodCsv, type TracePod } from '../replay/trace-csv.js';
import { generateVariant, parseVariantName, specVocabulary } from '../replay/trace-variants.js';

const repo = resolve(import.meta.dirname, '..', '..');
const tracesDir = resolve(repo, '..', 'shared', 'traces', 'openb');
const resultsDir = join(repo, 'benchmarks', 'results');

function parseSeeds(text: string): number[] {
  try {
    return parseSeedList(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parsePolicy(text: string): ReplayPolicyName {
  if (!isReplayPolicy(text)) throw new InvalidArgumentError(`known policies: ${REPLAY_POLICIES.join(', ')}`);
  return text;
}

interface Options {
  nodes: string;
  pods: string;
  policy: ReplayPolicyName;
  seeds: number[];
  json: boolean;
  all: boolean;
  policies?: string;
  traces?: string;
  progress: boolean;
  variant?: string;
  variantSeed: number;
}

const readPods = (file: string): TracePod[] => parsePodCsv(readFileSync(file, 'utf8'), file);

/** A generated variant of `basePods` (normally default); gpuspec draws model sets from gpuspec10. */
function variantPods(basePods: string, variant: string, seed: number): TracePod[] {
  const spec = parseVariantName(variant);
  const vocabulary =
    spec.family === 'gpuspec'
      ? specVocabulary(readPods(join(tracesDir, 'openb_pod_list_gpuspec10.csv')))
      : [];
  return generateVariant(readPods(basePods), spec, seededRng(seed), vocabulary);
}

function parseVariant(text: string): string {
  try {
    parseVariantName(text);
    return text;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function parseVariantSeed(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > 2 ** 31) throw new InvalidArgumentError('a seed in 0..2^31');
  return n;
}

function replayOne(
  policy: ReplayPolicyName,
  nodesFile: string,
  podsFile: string,
  opts: Options,
): ReplayResult {
  const nodes = parseNodeCsv(readFileSync(nodesFile, 'utf8'), nodesFile);
  const pods = opts.variant ? variantPods(podsFile, opts.variant, opts.variantSeed) : readPods(podsFile);
  const bar = opts.progress
    ? new SingleBar(
        {
          format: `${traceName(podsFile)} ${policy} seed {seed} [{bar}] {percentage}% | seed {k}/{n}`,
          stream: process.stderr,
        },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(1, 0, { seed: opts.seeds[0], k: 1, n: opts.seeds.length });
  const result = runReplay(
    {
      policy,
      nodes,
      pods,
      podsFile: opts.variant ? `${opts.variant}#${opts.variantSeed}` : basename(podsFile),
      seeds: opts.seeds,
      onProgress: (done, total, seed) => {
        bar?.setTotal(total);
        bar?.update(done, { seed, k: opts.seeds.indexOf(seed) + 1, n: opts.seeds.length });
      },
    },
    () => performance.now(),
  );
  bar?.stop();
  return result;
}

function runAll(opts: Options): void {
  const policies = (opts.policies ?? REPLAY_POLICIES.join(',')).split(',').map(parsePolicy);
  const traces = opts.traces
    ? opts.traces.split(',').map((t) => join(tracesDir, `openb_pod_list_${t}.csv`))
    : readdirSync(tracesDir)
        .filter((f) => f.startsWith('openb_pod_list_') && f.endsWith('.csv'))
        .sort()
        .map((f) => join(tracesDir, f));
  mkdirSync(resultsDir, { recursive: true });
  const results: ReplayResult[] = [];
  for (const podsFile of traces) {
    for (const policy of policies) {
      const result = replayOne(policy, opts.nodes, podsFile, opts);
      const out = join(resultsDir, `replay-${traceName(podsFile)}-${policy}.json`);
      // The machine is shared: the 1-minute load average at the end tells how loaded `seconds` was.
      const record = { ...result, loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)) };
      writeFileSync(out, JSON.stringify(record, null, 2) + '\n');
      results.push(result);
      process.stderr.write(
        `${out}: ${result.unallocatedPctAt100.toFixed(2)}% in ${result.seconds.toFixed(1)} s\n`,
      );
    }
  }
  process.stdout.write(formatTable(results) + '\n');
}

const program = new Command('replay')
  .description('Replay an openb trace (FGD protocol) and report unallocated GPU % at 100% arrived')
  .option('--nodes <csv>', 'node list', join(tracesDir, 'openb_node_list_gpu_node.csv'))
  .option('--pods <csv>', 'pod list', join(tracesDir, 'openb_pod_list_default.csv'))
  .option('--policy <name>', `one of ${REPLAY_POLICIES.join(', ')}`, parsePolicy, 'phalanx')
  .option('--seeds <list>', 'seeds, e.g. 42-51 or 42,43', parseSeeds, parseSeeds('42-51'))
  .option('--json', 'print one JSON object on stdout', false)
  .option('--all', 'every policy on every trace; writes benchmarks/results/replay-*.json', false)
  .option('--policies <list>', 'with --all: comma-separated policies')
  .option('--traces <list>', 'with --all: comma-separated trace names (e.g. default,cpu050)')
  .option('--no-progress', 'no progress bar')
  .option(
    '--variant <name>',
    'replay a generated variant of --pods instead (gpushare60, multigpu50, gpuspec33, cpu300)',
    parseVariant,
  )
  .option('--variant-seed <n>', 'seed of the variant generator', parseVariantSeed, 1)
  .action((opts: Options) => {
    if (opts.all && opts.variant)
      throw new InvalidArgumentError('--variant replays one pod list; not with --all');
    if (opts.all) return runAll(opts);
    const result = replayOne(opts.policy, opts.nodes, opts.pods, opts);
    if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
    else process.stdout.write(formatTable([result]) + '\n');
  });

program.parse();
