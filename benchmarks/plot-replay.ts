// Reads benchmarks/results/replay-<trace>-<policy>.json (written by `npm run replay -- --all`) and
// writes, per trace, an SVG line chart of unallocated GPU % against arrived GPU % for every policy,
// plus replay-table.md: unallocated GPU % at 100% arrived, ours next to the published figures.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PUBLISHED } from '../src/replay/report.js';
import type { ReplayResult } from '../src/replay/run-replay.js';

const dir = resolve(import.meta.dirname, 'results');
const ORDER = ['random', 'dotprod', 'packing', 'bestfit', 'fgd', 'phalanx'];
const COLORS: Record<string, string> = {
  random: '#999999',
  dotprod: '#8c564b',
  packing: '#9467bd',
  bestfit: '#1f77b4',
  fgd: '#ff7f0e',
  phalanx: '#2ca02c',
};

type Recorded = ReplayResult & { readonly loadAverage1m?: number };
const results = new Map<string, Recorded[]>();
for (const file of readdirSync(dir).filter((f) => /^replay-.+\.json$/.test(f))) {
  const m = /^replay-(.+)-([a-z]+)\.json$/.exec(file);
  // Only per-policy files: replay-matrix-*.json and replay-crossval.json are tables, not curves.
  if (!m?.[1] || !ORDER.includes(m[2] ?? '')) continue;
  const result = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Recorded;
  results.set(m[1], [...(results.get(m[1]) ?? []), result]);
}
const byOrder = (a: ReplayResult, b: ReplayResult): number =>
  ORDER.indexOf(a.policy) - ORDER.indexOf(b.policy);

function chart(trace: string, runs: readonly ReplayResult[]): string {
  const [w, h, left, right, top, bottom] = [720, 440, 60, 130, 30, 50];
  const maxY = Math.max(5, ...runs.flatMap((r) => r.curve.map((p) => p.unallocatedPct)));
  const yTop = Math.ceil(maxY / 5) * 5;
  const x = (pct: number): number => left + ((pct - 75) / 55) * (w - left - right);
  const y = (v: number): number => top + (1 - v / yTop) * (h - top - bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="14">openb ${trace}: unallocated GPU vs arrived GPU (mean of seeds)</text>`,
  ];
  for (let v = 0; v <= yTop; v += 5) {
    out.push(`<line x1="${left}" x2="${w - right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v}%</text>`);
  }
  for (let pct = 75; pct <= 130; pct += 5) {
    out.push(`<text x="${x(pct)}" y="${h - bottom + 18}" text-anchor="middle">${pct}%</text>`);
  }
  out.push(
    `<line x1="${x(100)}" x2="${x(100)}" y1="${top}" y2="${h - bottom}" stroke="#bbb" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<text x="${(left + w - right) / 2}" y="${h - 12}" text-anchor="middle">arrived GPU requests (% of capacity)</text>`,
  );
  runs.forEach((r, i) => {
    const color = COLORS[r.policy] ?? '#000';
    const points = r.curve
      .map((p) => `${x(p.arrivedPct).toFixed(1)},${y(p.unallocatedPct).toFixed(1)}`)
      .join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
    const ly = top + 10 + i * 18;
    out.push(
      `<line x1="${w - right + 10}" x2="${w - right + 30}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
    );
    out.push(
      `<text x="${w - right + 35}" y="${ly + 4}">${r.policy} ${r.unallocatedPctAt100.toFixed(2)}%</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

const rows: string[] = [
  '| trace | policy | unallocated GPU % at 100% (ours, mean of seeds) | published | seconds (10 seeds) | load avg at end |',
  '|---|---|---:|---:|---:|---:|',
];
for (const [trace, runs] of [...results.entries()].sort()) {
  const sorted = [...runs].sort(byOrder);
  writeFileSync(join(dir, `replay-${trace}.svg`), chart(trace, sorted));
  for (const r of sorted) {
    const published = PUBLISHED[trace]?.[r.policy];
    rows.push(
      `| ${trace} | ${r.policy} | ${r.unallocatedPctAt100.toFixed(2)} | ${published?.toFixed(2) ?? '–'} | ${r.seconds.toFixed(0)} | ${r.loadAverage1m?.toFixed(1) ?? '–'} |`,
    );
  }
}
writeFileSync(join(dir, 'replay-table.md'), rows.join('\n') + '\n');
process.stdout.write(rows.join('\n') + '\n');
