// Rows of the replay matrix (one per trace, never averaged across traces) and their markdown table.
import type { ReplayJobResult } from './jobs.js';
import { cells, pairedGap, type Cell } from './summary.js';
import { familyOf, tracePods, type Family } from './traces.js';
import { PUBLISHED } from '../../src/replay/report.js';
import { traceMix } from '../../src/replay/trace-mix.js';

export interface MatrixRow {
  readonly trace: string;
  readonly kind: 'shipped' | 'generated';
  readonly family: Family;
  /** Percent: sharing / multi-GPU / model-constrained share of the GPU request, CPU-only share of pods. */
  readonly mix: { sharing: number; multiGpu: number; constrained: number; cpuOnly: number; pods: number };
  readonly policies: Readonly<Record<string, Cell>>;
  /** The phalanx figure this trace is judged by: held-out constants where they differ, else shipped. */
  readonly phalanxJudged: string;
  /** phalanxJudged − fgd, paired by seed, percentage points (negative: phalanx leaves less unallocated). */
  readonly phalanxMinusFgd: number;
  readonly publishedFgd: number | null;
}

const pct = (x: number): number => Number((x * 100).toFixed(1));

export function matrixRows(traces: readonly string[], results: readonly ReplayJobResult[]): MatrixRow[] {
  const byTrace = cells(results);
  return traces.map((trace) => {
    const row = byTrace.get(trace) ?? new Map<string, Cell>();
    const mix = traceMix(tracePods(trace));
    const judged = row.has('phalanx-heldout') ? 'phalanx-heldout' : 'phalanx';
    return {
      trace,
      kind: trace.includes('#') ? 'generated' : 'shipped',
      family: familyOf(trace),
      mix: {
        sharing: pct(mix.sharingShare),
        multiGpu: pct(mix.multiGpuShare),
        constrained: pct(mix.constrainedShare),
        cpuOnly: pct(mix.cpuOnlyShare),
        pods: mix.pods,
      },
      policies: Object.fromEntries(row),
      phalanxJudged: judged,
      phalanxMinusFgd: pairedGap(row.get(judged), row.get('fgd')),
      publishedFgd: PUBLISHED[trace]?.['fgd'] ?? null,
    };
  });
}

const fmt = (cell: Cell | undefined): string => (cell ? cell.mean.toFixed(2) : '–');

export type RunInfo = Readonly<Record<string, unknown>>;

const describeRun = (run: RunInfo): string =>
  `Run ${String(run['date'])} (\`${String(run['command'])}\`): ${String(run['replays'])} replays on ${String(run['workers'])} worker threads in ${String(run['wallSeconds'])} s wall (${JSON.stringify(run['cpuSeconds'] ?? null)} s CPU); load average (1/5/15 min) before ${JSON.stringify(run['loadAverageBefore'])}, after ${JSON.stringify(run['loadAverageAfter'])}.`;

export function formatMatrix(rows: readonly MatrixRow[], runs: readonly RunInfo[]): string {
  const labels = ['bestfit', 'fgd', 'phalanx', 'phalanx-heldout'].filter((l) =>
    rows.some((r) => l in r.policies),
  );
  const lines: string[] = [
    `Unallocated GPU % when arrived GPU requests reach 100% of capacity (FGD protocol, mean over the seeds of each trace; lower is better).`,
    ...runs.map(describeRun),
    `"phalanx-heldout": constants tuned by leave-one-family-out cross-validation without this trace's family (benchmarks/replay/crossval.ts); "phalanx": the shipped constants, tuned on all four families (in-sample for variant families; \`default\` is never tuned on). Δ = judged phalanx − fgd, paired by seed.`,
    '',
    `| trace | family | sharing / multi-GPU / constrained % of GPU req. | CPU-only % pods | seeds | ${labels.join(' | ')} | Δ vs fgd | phalanx ≤ fgd | FGD published |`,
    `|---|---|---|---:|---:|${labels.map(() => '---:').join('|')}|---:|:---:|---:|`,
  ];
  for (const r of rows) {
    const seeds = r.policies['fgd']?.perSeed.length ?? r.policies['phalanx']?.perSeed.length ?? 0;
    const gap = Number.isFinite(r.phalanxMinusFgd) ? r.phalanxMinusFgd : NaN;
    lines.push(
      `| ${r.trace} | ${r.family} | ${r.mix.sharing} / ${r.mix.multiGpu} / ${r.mix.constrained} | ${r.mix.cpuOnly} | ${seeds} | ${labels
        .map((l) => fmt(r.policies[l]))
        .join(
          ' | ',
        )} | ${Number.isNaN(gap) ? '–' : (gap >= 0 ? '+' : '') + gap.toFixed(2)} | ${Number.isNaN(gap) ? '–' : gap <= 0 ? 'yes' : '**no**'} | ${r.publishedFgd?.toFixed(2) ?? '–'} |`,
    );
  }
  return lines.join('\n');
}
