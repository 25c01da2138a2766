// bench:report — regenerates benchmarks/RESULTS.md from the latest results/*.json: one table per
// benchmark, its plot, the machine and the command that produced it. Missing results are named, not
// invented.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extenderChart, fractionsChart, gangChart, schedulerChart, topologyChart } from './lib/charts.js';
import { readJsonResult, RESULTS_DIR, writeResult } from './lib/results.js';
import { mean, round } from './lib/stats.js';

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

/** The columns of both gang latency tables (bench:gang, barrier and eager). */
const GANG_COLUMNS: readonly (readonly [string, string])[] = [
  ['config', 'configuration'],
  ['gangSize', 'gang size'],
  ['nodes', 'nodes'],
  ['gangs', 'gangs'],
  ['bound', 'bound whole'],
  ['p50Ms', 'p50 ms'],
  ['p99Ms', 'p99 ms'],
];

const CHARTS: Record<string, (r: never) => string> = {
  extender: extenderChart,
  scheduler: schedulerChart,
  gang: gangChart,
  'gang-eager': gangChart,
  topology: topologyChart,
  'topology-pools': topologyChart,
  fractions: fractionsChart,
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

/** Per process, the mean of the runs' CPU ms per pod (undefined when no run measured it). */
function meanCpu(runs: readonly Row[]): Record<string, number> | undefined {
  const measured = runs.flatMap((r) => {
    const cpu = r['cpuMsPerPod'] as Record<string, number> | undefined;
    return cpu === undefined ? [] : [cpu];
  });
  if (measured.length === 0) return undefined;
  const names = new Set(measured.flatMap((cpu) => Object.keys(cpu)));
  return Object.fromEntries(
    [...names].map((name) => [name, round(mean(measured.map((cpu) => cpu[name] ?? 0)), 2)]),
  );
}

/** Every recorded node count (scheduler-n<N>[-streaming].json), else the latest run alone. */
function schedulerRuns(latest: Result): Row[] {
  const files = readdirSync(RESULTS_DIR).filter((f) =>
    /^scheduler-n\d+(-streaming)?(-besttier\d+)?\.json$/.test(f),
  );
  const results = files.length === 0 ? [latest] : files.map((f) => readJsonResult(f.slice(0, -5)) as Result);
  return results
    .map((x): Row => ({
      ...x,
      method: x.runs?.[0]?.['method'] ?? 'streaming',
      filter: (x['phalanxFilter'] as { mode?: string } | undefined)?.mode ?? 'allFeasible',
      rounds: x['rounds'] ?? 1,
      // CPU ms per pod of each process (with Phalanx / stock), where the run measured it; over several
      // rounds, the mean of the rounds.
      cpuWith: meanCpu(x.runs?.filter((r) => r['schedulerName'] !== 'stock-scheduler') ?? []),
      cpuWithout: meanCpu(x.runs?.filter((r) => r['schedulerName'] === 'stock-scheduler') ?? []),
    }))
    .sort(
      (a, b) =>
        Number(a['nodes']) - Number(b['nodes']) ||
        String(a['filter']).localeCompare(String(b['filter'])) ||
        String(a['method']).localeCompare(String(b['method'])),
    );
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

function extenderTable(r: Result, after: string): string {
  return (
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
      ['serviceCpuPerPodMs', 'CPU ms/pod'],
      ['firstOfShapeMs', 'first pod of a new shape ms'],
      ['firstOfShapeServiceMs', 'its service ms'],
      ['requestsPerSec', 'requests/s'],
      ['heapBytesPerNode', 'heap bytes/node'],
      ['heapBytesPerEmptyNode', 'heap bytes/node without pods'],
      ['podsPerNode', 'bound pods/node'],
    ]) +
    "\n\nRound trip: the load generator's view over loopback (it shares the machine). Service: the " +
    "extender's own time per request, from its headers in to its reply written. Policy: " +
    `${cell(r['policy'])}; node lists: ${cell(r['order'] ?? 'one node list for every pod')}. Measured after ` +
    `${cell(r['warmup'] ?? 0)} warm-up pods per run; cold: ` +
    'the round trips of those warm-up pods (JIT, empty caches, the policy learning its pod types). ' +
    'CPU ms/pod: user + system time of the extender process over the measured pods, what a loaded ' +
    'machine distorts least. First pod of a new shape: after the measured pods, pods of fractions ' +
    'no earlier pod asked for, each meeting empty per-shape caches (round trip, and the service time ' +
    'the extender measured for the same pods).' +
    after
  );
}

const sections = [
  section('Extender service alone (bench:extender)', 'extender', (r) =>
    extenderTable(r, '\n\n![extender filter + prioritize](results/extender.svg)'),
  ),
  section(
    'Extender service alone, the node list in a new order per pod (bench:extender -- --order shuffled)',
    'extender-shuffled',
    (r) => extenderTable(r, ''),
    'npm run bench:extender -- --order shuffled',
  ),
  section(
    'Extender service alone as kube-scheduler drives it: a new order per pod, each pod bound (bench:extender -- --order shuffled --bind)',
    'extender-shuffled-bind',
    (r) =>
      extenderTable(
        r,
        '\n\nEach pod is bound to its top-scored node (the ledger alone, no API server), so every filter meets the node the pod before it changed; CPU ms/pod includes the bind.',
      ),
    'npm run bench:extender -- --order shuffled --bind',
  ),
  section('Real kube-scheduler throughput (bench:scheduler)', 'scheduler', (r) =>
    [
      markdownTable(schedulerRuns(r), [
        ['method', 'method'],
        ['filter', 'Phalanx filter'],
        ['nodes', 'nodes'],
        ['pods', 'pods'],
        ['rounds', 'rounds'],
        ['withPhalanxPodsPerSec', 'with Phalanx pods/s'],
        ['withoutPhalanxPodsPerSec', 'without pods/s'],
        ['ratio', 'ratio (median of rounds)'],
        ['roundRatios', 'ratio per round'],
        ['bindP50Ms', 'bind p50 ms (Phalanx)'],
        ['bindP99Ms', 'bind p99 ms (Phalanx)'],
        ['withoutPhalanxBindP99Ms', 'bind p99 ms (stock)'],
        ['cpuWith', 'CPU ms/pod with Phalanx'],
        ['cpuWithout', 'CPU ms/pod stock'],
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
        ...GANG_COLUMNS,
        ['commitP50Ms', 'commit p50 ms'],
        ['commitP99Ms', 'commit p99 ms'],
      ]),
      '',
      'Commit: from the last member reaching bind to every member bound (one Binding per member, in ' +
        'parallel), as Phalanx measured it (`phalanx_gang_commit_seconds`).',
      '',
      '![gang latency](results/gang.svg)',
    ].join('\n'),
  ),
  section(
    'Gang latency, gangCommit eager (bench:gang --gang-commit eager)',
    'gang-eager',
    (r) =>
      [
        'The same measurement with `gangCommit: eager`: each member is bound as soon as the scheduler ' +
          'reaches bind for it (the plan still reserves the whole gang in one domain), so no commit ' +
          'follows the last member.',
        '',
        markdownTable(r.runs ?? [], GANG_COLUMNS),
        '',
        '![gang latency, eager](results/gang-eager.svg)',
      ].join('\n'),
    'npm run bench:gang -- --gang-commit eager',
  ),
  section('Preemption of whole gangs (bench:preemption)', 'preemption', (r) =>
    [
      `Every GPU node of a synthetic fabric (${cell(r['nodes'])} nodes × 8 GPUs) holds one ` +
        'low-priority 8-GPU pod; a high-priority gang of 8 (required level: NVLink clique) or 64 ' +
        '(required level: rack) × 8-GPU members arrives, Phalanx decides, evicts the cheapest domain ' +
        'through the Eviction API, holds the freed nodes, and the gang binds. Per gang, from the pod ' +
        'watch: first victim deleted → every member bound, last member created → first eviction, last ' +
        'member created → every member bound. The evicted nodes are refilled after each gang.',
      '',
      markdownTable(r.runs ?? [], [
        ['gangSize', 'gang size'],
        ['level', 'level'],
        ['gangs', 'gangs'],
        ['bound', 'bound whole'],
        ['evictedPerGang', 'evicted per gang'],
        ['evictedOutsideGang', 'evicted off the gang’s nodes'],
        ['evictionToBoundP50Ms', 'eviction → bound p50 ms'],
        ['evictionToBoundP99Ms', 'eviction → bound p99 ms'],
        ['createdToEvictionP50Ms', 'created → eviction p50 ms'],
        ['createdToBoundP50Ms', 'created → bound p50 ms'],
        ['createdToBoundP99Ms', 'created → bound p99 ms'],
      ]),
      '',
      'The decision alone (the core plan over the same fabric, in process, CPU time):',
      '',
      markdownTable((r['decisionCpu'] as Row[] | undefined) ?? [], [
        ['gangSize', 'gang size'],
        ['level', 'level'],
        ['domains', 'candidate domains'],
        ['p50Ms', 'p50 ms'],
        ['p99Ms', 'p99 ms'],
      ]),
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
  section('GPU shares at bind (bench:fractions)', 'fractions', (r) => {
    const reservations = (r['reservations'] as Row | undefined) ?? {};
    const anomalies = (r['anomalies'] as Row | undefined) ?? {};
    return [
      `Shares of ${cell(r['fraction'])} GPU, one at a time, on KWOK-managed nodes (fabric ` +
        `\`${cell(r['fabric'])}\`), the device-plugin stand-in giving each reservation pod a device and ` +
        'running `phalanx reserve`. Per cycle: the first share on an empty device (Phalanx creates the ' +
        'reservation and binds once its UUID is reported), a later share pinned to the same node (it ' +
        'must land on the same device and UUID), then both deleted and the reservation’s removal timed ' +
        'from the last share’s delete request. Times from the create request (the webhook’s admission ' +
        `included). ${cell(r['completed'])} of ${cell(r['repeats'])} cycles completed after ` +
        `${cell(r['warmup'])} warm-up cycle(s); p50/p99 by nearest rank (below 100 samples p99 is the ` +
        `largest). Phalanx's settings: uuidWaitMs ${cell(reservations['uuidWaitMs'])}, releaseAfterMs ` +
        `${cell(reservations['releaseAfterMs'])} (a reservation goes at Phalanx's first reconcile after ` +
        'that time; it reconciles on its 1 s housekeeping tick, so the release takes that plus up to a second).',
      '',
      markdownTable(r.runs ?? [], [
        ['label', 'measure'],
        ['n', 'samples'],
        ['p50Ms', 'p50 ms'],
        ['p99Ms', 'p99 ms'],
        ['minMs', 'min ms'],
        ['maxMs', 'max ms'],
      ]),
      '',
      `Anomalies: timeouts ${cell((anomalies['timeouts'] as unknown[] | undefined)?.length ?? 0)}, ` +
        `later share on another device ${cell(anomalies['laterOnOtherDevice'])}, UUID mismatches ` +
        `${cell(anomalies['uuidMismatch'])}, device-plugin refusals ${cell(anomalies['deviceRefusals'])}, ` +
        `failed reservation programs ${cell(anomalies['failedReservations'])}.`,
      '',
      '![shares at bind](results/fractions.svg)',
    ].join('\n');
  }),
  section('Leader kills (bench:chaos)', 'chaos', (r) => {
    const secs = (v: unknown) => (typeof v === 'number' ? (v / 1000).toFixed(2) : '–');
    return [
      'Two Phalanx replicas with leader election (Lease 15 s, the default) ' +
        'behind a loopback proxy that routes, as deploy/’s Services do, to the pod labelled ' +
        '`phalanx.dev/leader=true`. Each round fractional Deployments scale and whole-GPU gangs arrive ' +
        '(older gangs go), the Lease holder is SIGKILLed at a random moment, the killed replica comes ' +
        'back as the standby, and once every wanted pod runs the invariants are checked from the API: no ' +
        'device over one GPU by the bound pods’ `phalanx.dev/gpu-devices`, no gang bound in part, both ' +
        'replicas’ `/debug/ledger` equal to the bound pods, one leader label (the Lease holder’s), no ' +
        'device-plugin refusal.',
      '',
      `${cell(r['roundsRun'])} rounds, ${cell(r['violations'])} invariant violations, ` +
        `${cell(r['unsettled'])} rounds not settled in time. Recovery (kill → a filter through the proxy ` +
        `is served): p50 ${secs(r['recoveryP50Ms'])} s, p99 ${secs(r['recoveryP99Ms'])} s, max ` +
        `${secs(r['recoveryMaxMs'])} s; Lease taken over p50 ${secs(r['leaseTakeoverP50Ms'])} s; kill → ` +
        `settled p50 ${secs(r['settleP50Ms'])} s, p99 ${secs(r['settleP99Ms'])} s. Seed ${cell(r['seed'])}.`,
      '',
      markdownTable(r.runs ?? [], [
        ['round', 'round'],
        ['killed', 'killed'],
        ['killDelayMs', 'kill after ms'],
        ['pendingAtKill', 'pending at kill'],
        ['gangsPartlyBoundAtKill', 'gangs partly bound at kill'],
        ['leaseTakeoverMs', 'Lease taken ms'],
        ['recoveryMs', 'serving ms'],
        ['settleMs', 'settled ms'],
        ['wantedPods', 'pods'],
        ['violations', 'violations'],
      ]),
    ].join('\n');
  }),
  section('Random node names (bench:soak)', 'soak', (r) =>
    [
      `${cell(r['requests'])} filter and prioritize requests (alternating, a new pod each), each naming ` +
        `${cell(r['namesPerRequest'])} nodes of which ${cell(r['knownNamesPerRequest'])} real, to an ` +
        `extender knowing ${cell(r['nodes'])} nodes: ${cell(r['transport'])}. ${cell(r['requestsPerSec'])} ` +
        `requests/s; replies by status ${cell(r['statuses'])}. Heap after a full GC: ` +
        `${cell(r['heapBeforeMiB'])} MiB before, ${cell(r['heapAfterMiB'])} MiB after ` +
        `(${cell(r['heapRetainedMiB'])} MiB retained); RSS ${cell(r['rssBeforeMiB'])} → ${cell(r['rssAfterMiB'])} MiB.`,
      '',
      markdownTable(r.runs ?? [], [
        ['requests', 'requests sent'],
        ['heapUsedMiB', 'heap after GC MiB'],
        ['rssMiB', 'RSS MiB'],
      ]),
    ].join('\n'),
  ),
];

/** The openb replay matrix and the cross-validation behind the phalanx constants, as written. */
function replaySection(): string {
  const read = (file: string): string | undefined =>
    existsSync(join(RESULTS_DIR, file)) ? readFileSync(join(RESULTS_DIR, file), 'utf8').trim() : undefined;
  const title = '## Placement quality on openb traces (bench:replay)';
  const matrix = read('replay-matrix.md');
  if (matrix === undefined) return `${title}\n\nNo result yet: run \`npm run bench:replay\`.\n`;
  const crossval = read('replay-crossval.md');
  // The speed run: every shipped trace × bestfit, fgd, phalanx × 10 seeds, nothing else in the run.
  const speed = read('replay-speed-shipped.md')
    ?.split('\n')
    .find((l) => l.startsWith('Run '));
  return [
    title,
    '',
    'Commands: `npm run bench:replay -- --traces shipped --out replay-matrix-shipped`, ' +
      '`npm run bench:replay -- --traces generated --no-curves --out replay-matrix-generated`, ' +
      '`npm run bench:replay-merge -- replay-matrix-shipped replay-matrix-generated`; constants by ' +
      '`npm run bench:replay-crossval`.',
    '',
    matrix,
    '',
    ...(speed === undefined ? [] : [`Replay speed, shipped traces only: ${speed}`, '']),
    ...(crossval === undefined ? [] : ['### Leave-one-family-out cross-validation', '', crossval, '']),
  ].join('\n');
}

const text = [
  '# Benchmark results',
  '',
  'Generated by `npm run bench:report` from `benchmarks/results/*.json`; re-run any benchmark to refresh',
  'its section. Figures are recorded, not asserted; see each section for the machine and command.',
  'On a machine shared with other work, absolute figures say little; compare configurations measured',
  'in the same run (they share the machine state).',
  '',
  ...sections,
  replaySection(),
].join('\n');
writeFileSync(join(RESULTS_DIR, '..', 'RESULTS.md'), text);
process.stdout.write(`wrote ${join(RESULTS_DIR, '..', 'RESULTS.md')}\n`);
