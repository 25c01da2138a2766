// The plot of each benchmark, drawn from its results JSON, so a benchmark run and `bench:report`
// produce the same figure.
import { barChart, lineChart } from './svg-chart.js';

interface SchedulerResult {
  nodes: number;
  pods: number;
  runs: { schedulerName: string; podsPerSec: number; samples: number[]; round?: number }[];
}
interface ExtenderResult {
  policy?: string;
  runs: {
    nodes: number;
    mode: string;
    filterPrioritizeP50Ms: number;
    filterPrioritizeP99Ms: number;
    serviceFilterPrioritizeP50Ms?: number;
    serviceFilterPrioritizeP99Ms?: number;
  }[];
}
interface GangResult {
  nodes: number;
  runs: { config: string; gangSize: number; p50Ms: number; p99Ms: number }[];
}
interface TopologyResult {
  nodes: number;
  gpus: number;
  runs: { config: string; pool?: string; utilisation: number; cliqueLocalRate: number | null }[];
  /** bench:topology --pools: the pools the fabric was split into. */
  pools?: readonly unknown[];
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

export function schedulerChart(r: SchedulerResult): string {
  return lineChart({
    title: `Pods bound per second, ${r.nodes} nodes, ${r.pods} pods (1 s samples)`,
    xLabel: 'seconds since the first binding',
    yLabel: 'pods/s',
    series: r.runs.map((run) => ({
      name: `${run.schedulerName}${run.round === undefined ? '' : `, round ${run.round}`} (${run.podsPerSec}/s)`,
      points: run.samples.map((y, x): [number, number] => [x + 1, y]),
    })),
  });
}

export function extenderChart(r: ExtenderResult): string {
  const categories = r.runs.map((run) => `${run.nodes} nodes, ${run.mode}`);
  const series = [
    { name: 'round trip p50', key: 'filterPrioritizeP50Ms' },
    { name: 'round trip p99', key: 'filterPrioritizeP99Ms' },
    { name: 'service p50', key: 'serviceFilterPrioritizeP50Ms' },
    { name: 'service p99', key: 'serviceFilterPrioritizeP99Ms' },
  ] as const;
  return barChart({
    title: `Extender filter + prioritize per pod${r.policy ? `, policy ${r.policy}` : ''}`,
    xLabel: 'node count and request mode (names: nodeCacheCapable)',
    yLabel: 'ms',
    categories,
    series: series
      .filter((s) => r.runs.some((run) => run[s.key] !== undefined))
      .map((s) => ({ name: s.name, values: r.runs.map((run) => run[s.key]) })),
  });
}

export function gangChart(r: GangResult): string {
  const sizes = unique(r.runs.map((x) => x.gangSize));
  const configs = unique(r.runs.map((x) => x.config));
  return barChart({
    title: `Last member created → all members bound, ${r.nodes} nodes`,
    xLabel: 'gang size',
    yLabel: 'ms',
    categories: sizes.map((s) => `${s} pods`),
    series: configs.flatMap((c) =>
      (['p50Ms', 'p99Ms'] as const).map((k) => ({
        name: `${c} ${k === 'p50Ms' ? 'p50' : 'p99'}`,
        values: sizes.map((s) => r.runs.find((x) => x.config === c && x.gangSize === s)?.[k]),
      })),
    ),
  });
}

export function topologyChart(r: TopologyResult): string {
  // With pools: the figures over both pools (each gang judged against its own pool's cliques).
  const runs = r.runs.filter((x) => x.pool === undefined || x.pool === 'all');
  const levels = unique(runs.map((x) => x.utilisation));
  const configs = unique(runs.map((x) => x.config));
  const pools = r.pools === undefined ? '' : `, ${r.pools.length} pools`;
  return barChart({
    title: `Gangs in one clique (of those that fit one), ${r.nodes} nodes / ${r.gpus} GPUs${pools}`,
    xLabel: 'GPUs offered (% of capacity)',
    yLabel: 'clique-local rate',
    yMax: 1,
    categories: levels.map((l) => `${l} %`),
    series: configs.map((c) => ({
      name: c,
      values: levels.map(
        (l) => runs.find((x) => x.config === c && x.utilisation === l)?.cliqueLocalRate ?? undefined,
      ),
    })),
  });
}

interface FractionsResult {
  fraction: number;
  runs: { measure: string; n: number; p50Ms: number; p99Ms: number }[];
}

/**
 * bench:fractions: p50 and p99 from a share's creation to bound and to Running, the first share on an
 * empty device against a later one (the reservation's release, seconds, is in the table only: on the
 * same axis it would flatten the rest).
 */
export function fractionsChart(r: FractionsResult): string {
  const shown = [
    ['firstBound', 'first: bound'],
    ['firstRunning', 'first: Running'],
    ['laterBound', 'later: bound'],
    ['laterRunning', 'later: Running'],
  ] as const;
  const run = (key: string) => r.runs.find((x) => x.measure === key && x.n > 0);
  return barChart({
    title: `Shares of ${r.fraction} GPU: first on an empty device, later on a reserved one`,
    xLabel: 'from the create request',
    yLabel: 'ms',
    categories: shown.map(([, label]) => label),
    series: (['p50Ms', 'p99Ms'] as const).map((k) => ({
      name: k === 'p50Ms' ? 'p50' : 'p99',
      values: shown.map(([key]) => run(key)?.[k]),
    })),
  });
}
