// Human-readable output of replays: one row per (trace, policy) with the per-seed spread.
import type { ReplayResult } from './run-replay.js';

/** Published FGD-paper figures (unallocated GPU % at 100% arrived, mean of 10 seeds). */
export const PUBLISHED: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  default: { random: 13.7, dotprod: 9.38, packing: 8.22, bestfit: 7.14, fgd: 4.77 },
  cpu050: { bestfit: 6.44, fgd: 5.0 },
  cpu100: { bestfit: 6.74, fgd: 4.79 },
  gpushare40: { bestfit: 8.56, fgd: 6.04 },
  multigpu20: { bestfit: 6.27, fgd: 4.47 },
  gpuspec10: { bestfit: 6.9, fgd: 5.34 },
};

/** "openb_pod_list_gpushare40.csv" → "gpushare40". */
export function traceName(podsFile: string): string {
  const base = podsFile.split(/[\\/]/).pop() ?? podsFile;
  return base.replace(/^openb_pod_list_/, '').replace(/\.csv$/, '');
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

export function formatTable(results: readonly ReplayResult[]): string {
  const header = ['trace', 'policy', 'unalloc@100%', 'published', 'min', 'max', 'failed pods', 'seconds'];
  const rows = results.map((r) => {
    const trace = traceName(r.pods);
    const values = r.perSeed.map((s) => s.unallocatedPctAt100);
    const published = PUBLISHED[trace]?.[r.policy];
    const failed = r.perSeed.reduce((sum, s) => sum + s.failedPods, 0) / Math.max(1, r.perSeed.length);
    return [
      trace,
      r.policy,
      r.unallocatedPctAt100.toFixed(2),
      published === undefined ? '-' : published.toFixed(2),
      Math.min(...values).toFixed(2),
      Math.max(...values).toFixed(2),
      failed.toFixed(0),
      r.seconds.toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => pad(c, widths[i] ?? 0, i >= 2)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
