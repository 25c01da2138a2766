// Small dependency-free SVG charts for benchmark results: a line chart (series of x/y points) and a
// grouped bar chart (categories × series). Plain SVG 1.1 that GitHub renders inline.

const COLORS = ['#2ca02c', '#1f77b4', '#ff7f0e', '#9467bd', '#d62728', '#8c564b', '#7f7f7f'];
const W = 720;
const H = 420;
const M = { left: 64, right: 200, top: 36, bottom: 52 };

export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface BarSeries {
  readonly name: string;
  /** One value per category, in the same order; undefined draws no bar. */
  readonly values: readonly (number | undefined)[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3))));

/** A "nice" upper bound and step for an axis from 0 to max. */
export function niceAxis(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  return { top: Math.ceil(max / step) * step, step };
}

function frame(title: string, yLabel: string, xLabel: string, yTop: number, yStep: number): string[] {
  const plotH = H - M.top - M.bottom;
  const y = (v: number): number => M.top + (1 - v / yTop) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="20" font-size="14">${esc(title)}</text>`,
    `<text x="14" y="${M.top + plotH / 2}" transform="rotate(-90 14 ${M.top + plotH / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
  ];
  for (let v = 0; v <= yTop + yStep / 1e6; v += yStep) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
    );
    out.push(`<text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  return out;
}

function legend(names: readonly string[]): string[] {
  return names.flatMap((name, i) => {
    const ly = M.top + 10 + i * 18;
    const color = COLORS[i % COLORS.length] ?? '#000';
    return [
      `<rect x="${W - M.right + 10}" y="${ly - 6}" width="16" height="10" fill="${color}"/>`,
      `<text x="${W - M.right + 32}" y="${ly + 3}">${esc(name)}</text>`,
    ];
  });
}

export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
}): string {
  const all = opts.series.flatMap((s) => s.points);
  const { top: yTop, step: yStep } = niceAxis(Math.max(0, ...all.map((p) => p[1])));
  const { top: xTop, step: xStep } = niceAxis(Math.max(0, ...all.map((p) => p[0])), 8);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (v: number): number => M.left + (v / xTop) * plotW;
  const y = (v: number): number => M.top + (1 - v / yTop) * plotH;
  const out = frame(opts.title, opts.yLabel, opts.xLabel, yTop, yStep);
  for (let v = 0; v <= xTop + xStep / 1e6; v += xStep) {
    out.push(`<text x="${x(v).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  opts.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] ?? '#000';
    const points = s.points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
  });
  out.push(...legend(opts.series.map((s) => s.name)), '</svg>');
  return out.join('\n') + '\n';
}

export function barChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly BarSeries[];
  yMax?: number;
}): string {
  const values = opts.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const { top: yTop, step: yStep } = niceAxis(opts.yMax ?? Math.max(0, ...values));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v: number): number => M.top + (1 - v / yTop) * plotH;
  const groupW = plotW / Math.max(1, opts.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, opts.series.length);
  const out = frame(opts.title, opts.yLabel, opts.xLabel, yTop, yStep);
  opts.categories.forEach((category, c) => {
    const gx = M.left + c * groupW;
    out.push(
      `<text x="${(gx + groupW / 2).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(category)}</text>`,
    );
    opts.series.forEach((s, i) => {
      const v = s.values[c];
      if (v === undefined) return;
      const color = COLORS[i % COLORS.length] ?? '#000';
      const bx = gx + groupW * 0.1 + i * barW;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(M.top + plotH - y(v)).toFixed(1)}" fill="${color}"><title>${esc(`${s.name}: ${fmt(v)}`)}</title></rect>`,
      );
    });
  });
  out.push(...legend(opts.series.map((s) => s.name)), '</svg>');
  return out.join('\n') + '\n';
}
