// bench:report — regenerates benchmarks/RESULTS.md from the latest results/*.json: one table per
// benchmark, its plot, the machine and the command that produced it. Missing results are named, not
// invented.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extenderChart, gangChart, schedulerChart, topologyChart } from './lib/charts.js';
import { readJsonResult, RESULTS_DIR, writeResult } from './lib/results.js';

type Row = Record<string, unknown>;
interface Result {
  command?: string;
  machine?: string;
  cluster?: string;
  runs?: Row[];
  [key: string]: unknown;
}

const cell = (v: unknown): string =>
  v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);

function markdownTable(rows: readonly Row[], columns: readonly (readonly [string, string])[]): string {
  const head = `| ${columns.map(([, title]) => title).join(' | ')} |`;
  const rule = `|${columns.map(() => '---').join('|')}|`;
  const body = rows.map((r) => `| ${columns.map(([key]) => cell(r[key])).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

interface LoadAverage {
  start: number;
  end: number;
  byConfig?: Record<string, { start: number; end: number }>;
}

function provenance(r: Result): string {
  const lines = [`Measured on ${cell(r.machine)}.`];
  const load = r['loadAverage1m'] as LoadAverage | undefined;
  if (load) {
    const per = Object.entries(load.byConfig ?? {}).map(([c, l]) => `${c} ${l.start} → ${l.end}`);
    lines.push(
      `1-min load average ${load.start} at start, ${load.end} at end` +
        (per.length === 0 ? '.' : ` (per configuration: ${per.join(', ')}).`),
    );
  }
  if (r.cluster) lines.push(`Cluster: ${r.cluster}.`);
  if (r.command) lines.push(`Command: \`${r.command}\`.`);
  return lines.join(' ');
}

const CHARTS: Record<string, (r: never) => string> = {
  extender: extenderChart,
  scheduler: schedulerChart,
  gang: gangChart,
  topology: topologyChart,
  'topology-pools': topologyChart,
};

function section(
  title: string,
  name: string,
  render: (r: Result) => string,
  command = `npm run bench:${name}`,
): string {
  const r = readJsonResult(name) as Result | undefined;
  if (r === undefined) return `## ${title}\n\nNo result yet: run \`${command}\`.\n`;
  const chart = CHARTS[name];
  if (chart) writeResult(`${name}.svg`, chart(r as never));
  return `## ${title}\n\n${render(r)}\n\n${provenance(r)}\n`;
}

/** Every recorded node count (scheduler-n<N>[-streaming].json), else the latest run alone. */
function schedulerRuns(latest: Result): Row[] {
  const files = readdirSync(RESULTS_DIR).filter((f) => /^scheduler-n\d+(-streaming)?\.json$/.test(f));
  const results = files.length === 0 ? [latest] : files.map((f) => readJsonResult(f.slice(0, -5)) as Result);
  return results
    .map((x): Row => ({ ...x, method: x.runs?.[0]?.['method'] ?? 'streaming' }))
    .sort((a, b) => Number(a['nodes']) - Number(b['nodes']));
}

/** Gangs inside the fabric's 100 % level that took their own pool past its capacity, named. */
function overOffered(r: Result): string {
  const outcomes = Object.values((r['gangOutcomes'] as Record<string, Row[]> | undefined) ?? {})[0] ?? [];
  const over = outcomes.filter((g) => Number(g['offered']) <= 1 && Number(g['offeredPool']) > 1);
  if (over.length === 0) return '';
  const named = over.map(
    (g) =>
      `${cell(g['gang'])} (${cell(g['size'])} members, pool ${cell(g['pool'])} then ` +
      `${Math.round(Number(g['offeredPool']) * 100)} % offered)`,
  );
  return (
    ` Within the fabric’s 100 % level, ${named.join(', ')} asked more than ${over.length === 1 ? 'its' : 'their'} ` +
    'pool had left: a refusal no scheduler can avoid once the fabric is split, counted in the “all” ' +
    'rows’ fill at first refusal and outside the pool’s own 100 % row.'
  );
}

/**
 * Per configuration, the 100 % offered row of a one-pool run and of the two-pool run ('all'). The
 * one-pool run: topology-pools-baseline.json when there is one (`bench:topology -- --out
 * topology-pools-baseline`, run next to the pools run so both share the machine state), else
 * topology.json.
 */
function onePoolAgainstTwo(pooled: Result): Row[] {
  const one = (readJsonResult('topology-pools-baseline') ?? readJsonResult('topology')) as Result | undefined;
  const atFull = (r: Result | undefined, pools: number): Row[] => {
    const load = r?.['loadAverage1m'] as LoadAverage | undefined;
    return (r?.runs ?? [])
      .filter((x) => x['utilisation'] === 100 && (x['pool'] === undefined || x['pool'] === 'all'))
      .map((x) => {
        const l = load?.byConfig?.[String(x['config'])];
        return { ...x, pools, load: l ? `${l.start} → ${l.end}` : undefined };
      });
  };
  const rows = [...atFull(one, 1), ...atFull(pooled, 2)];
  const configs = [...new Set(rows.map((x) => String(x['config'])))];
  return configs.flatMap((c) => rows.filter((x) => x['config'] === c));
}

const sections = [
  section(
    'Extender service alone (bench:extender)',
    'extender',
    (r) =>
      markdownTable(r.runs ?? [], [
        ['nodes', 'nodes'],
        ['mode', 'mode'],
        ['coldFilterPrioritizeP99Ms', 'cold filter+prioritize p99 ms'],
        ['filterP99Ms', 'filter p99 ms'],
        ['prioritizeP99Ms', 'prioritize p99 ms'],
        ['filterPrioritizeP50Ms', 'filter+prioritize p50 ms'],
        ['filterPrioritizeP99Ms', 'filter+prioritize p99 ms'],
        ['serviceFilterPrioritizeP50Ms', 'service p50 ms'],
        ['serviceFilterPrioritizeP99Ms', 'service p99 ms'],
        ['requestsPerSec', 'requests/s'],
        ['heapBytesPerNode', 'heap bytes/node'],
      ]) +
      "\n\nRound trip: the load generator's view over loopback (it shares the machine). Service: the " +
      "extender's own time per request, from its headers in to its reply written. Policy: " +
      `${cell(r['policy'])}. Measured after ${cell(r['warmup'] ?? 0)} warm-up pods per run; cold: ` +
      'the round trips of those warm-up pods (JIT, empty caches, the policy learning its pod types).' +
      '\n\n![extender filter + prioritize](results/extender.svg)',
  ),
  section('Real kube-scheduler throughput (bench:scheduler)', 'scheduler', (r) =>
    [
      markdownTable(schedulerRuns(r), [
        ['method', 'method'],
        ['nodes', 'nodes'],
        ['pods', 'pods'],
        ['withPhalanxPodsPerSec', 'with Phalanx pods/s'],
        ['withoutPhalanxPodsPerSec', 'without pods/s'],
        ['ratio', 'ratio'],
        ['bindP50Ms', 'bind p50 ms (Phalanx)'],
        ['bindP99Ms', 'bind p99 ms (Phalanx)'],
        ['withoutPhalanxBindP99Ms', 'bind p99 ms (stock)'],
      ]),
      '',
      `Methods: 'backlog': the measured pods were created while ` +
        'that kube-scheduler was paused (SIGSTOP) and released at once, so samples measure scheduling and ' +
        'binding alone and bind latencies run from the release (they include queueing behind the backlog); ' +
        "'streaming': pods were created while it ran.",
      '',
      '![pods bound per second](results/scheduler.svg)',
    ].join('\n'),
  ),
  section('Gang latency (bench:gang)', 'gang', (r) =>
    [
      'Time from the last member’s creation to all members bound. Phalanx and stock: an Indexed Job ' +
        'per gang (the Job controller creates the members); kueue: a Kueue pod group per gang (bare ' +
        'pods, so that Kueue’s admission counts in the time), bound by the stock scheduler after ' +
        'topology-aware admission.',
      '',
      markdownTable(r.runs ?? [], [
        ['config', 'configuration'],
        ['gangSize', 'gang size'],
        ['nodes', 'nodes'],
        ['gangs', 'gangs'],
        ['bound', 'bound whole'],
        ['p50Ms', 'p50 ms'],
        ['p99Ms', 'p99 ms'],
      ]),
      '',
      '![gang latency](results/gang.svg)',
    ].join('\n'),
  ),
  section('Topology locality and packing (bench:topology)', 'topology', (r) =>
    [
      `${cell(r['nodes'])} nodes, ${cell(r['gpus'])} GPUs, ${cell(r['gangs'])} gangs (seed ${cell(r['seed'])}); ` +
        `the stock scheduler ran with feature gates: ${cell(r['stockSchedulerFeatureGates'])}.`,
      '',
      markdownTable(r.runs ?? [], [
        ['config', 'configuration'],
        ['utilisation', 'offered %'],
        ['gangs', 'gangs'],
        ['cliqueLocalRate', 'clique-local'],
        ['rackLocalRate', 'rack-local'],
        ['excessSpan', 'excess span'],
        ['halfBoundGangs', 'half-bound'],
        ['refusedFitRack', 'refused, fit a rack'],
        ['fillAtFirstRefusal', 'fill % at first refusal'],
        ['gangBoundP50Ms', 'gang bound p50 ms'],
      ]),
      '',
      '![clique-local rate](results/topology.svg)',
    ].join('\n'),
  ),
  section(
    'Topology with two node pools (bench:topology --pools)',
    'topology-pools',
    (r) => {
      const pools = (r['pools'] as Row[] | undefined) ?? [];
      return [
        `The same fabric and gang sequence split into two pools by a node label: ` +
          pools
            .map(
              (p) =>
                `pool ${cell(p['pool'])} (${cell(p['nodeLabel'])}${p['taint'] ? `, tainted ${cell(p['taint'])}` : ''}): ` +
                `${cell(p['nodes'])} nodes, ${cell(p['gpus'])} GPUs, ${cell(p['gangs'])} gangs`,
            )
            .join('; ') +
          '. Every member of every gang selects its pool (nodeSelector) and pool-b members tolerate the ' +
          'taint, in every configuration; gangs are dealt to the pool with the smaller share offered so ' +
          'far. A gang is judged against its own pool: “fit a clique / rack” counts that pool’s cliques ' +
          'and racks only. Pool “all”: both pools’ gangs, fill over the whole fabric; pool a / b: that ' +
          'pool’s gangs, fill of that pool; levels are then shares of that pool offered. “outside pool”: ' +
          'members bound on a node of the other pool (must be 0).' +
          overOffered(r),
        '',
        markdownTable(r.runs ?? [], [
          ['config', 'configuration'],
          ['pool', 'pool'],
          ['utilisation', 'offered %'],
          ['gangs', 'gangs'],
          ['cliqueLocalRate', 'clique-local'],
          ['rackLocalRate', 'rack-local'],
          ['excessSpan', 'excess span'],
          ['halfBoundGangs', 'half-bound'],
          ['refusedFitRack', 'refused, fit a rack'],
          ['fillAtFirstRefusal', 'fill % at first refusal'],
          ['gangBoundP50Ms', 'gang bound p50 ms'],
          ['boundOutsidePool', 'outside pool'],
        ]),
        '',
        'One pool against two, at 100 % offered (both pools together): the one-pool run ' +
          `(\`${readJsonResult('topology-pools-baseline') === undefined ? 'topology.json' : 'topology-pools-baseline.json'}\`) ` +
          'and this one are separate runs; compare their load averages:',
        '',
        markdownTable(onePoolAgainstTwo(r), [
          ['config', 'configuration'],
          ['pools', 'pools'],
          ['gangs', 'gangs'],
          ['cliqueLocalRate', 'clique-local'],
          ['excessSpan', 'excess span'],
          ['halfBoundGangs', 'half-bound'],
          ['refusedFitRack', 'refused, fit a rack'],
          ['fillAtFirstRefusal', 'fill % at first refusal'],
          ['gangBoundP50Ms', 'gang bound p50 ms'],
          ['load', '1-min load (start → end)'],
        ]),
        '',
        '![clique-local rate, two pools](results/topology-pools.svg)',
      ].join('\n');
    },
    'npm run bench:topology -- --pools',
  ),
];

const text = [
  '# Benchmark results',
  '',
  'Generated by `npm run bench:report` from `benchmarks/results/*.json`; re-run any benchmark to refresh',
  'its section. Figures are recorded, not asserted; see each section for the machine and command.',
  'On a machine shared with other work, absolute figures say little; compare configurations measured',
  'in the same run (they share the machine state).',
  '',
  ...sections,
].join('\n');
writeFileSync(join(RESULTS_DIR, '..', 'RESULTS.md'), text);
process.stdout.write(`wrote ${join(RESULTS_DIR, '..', 'RESULTS.md')}\n`);
