// Reads one histogram's running sum and count from a Prometheus text endpoint, so a benchmark can
// take what the process itself measured for one operation (the difference across it).
export interface HistogramTotals {
  readonly sum: number;
  readonly count: number;
}

/** Totals over every label set of `name`; zero when the histogram has no sample yet. */
export async function histogramTotals(url: string, name: string): Promise<HistogramTotals> {
  const text = await fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.text();
  });
  return parseHistogramTotals(text, name);
}

export function parseHistogramTotals(text: string, name: string): HistogramTotals {
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    const match = /^(\S+?)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null) continue;
    if (match[1] === `${name}_sum`) sum += Number(match[2]);
    else if (match[1] === `${name}_count`) count += Number(match[2]);
  }
  return { sum, count };
}
