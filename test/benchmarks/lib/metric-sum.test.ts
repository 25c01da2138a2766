import { describe, expect, it } from 'vitest';
import { createGangMetrics, gangObserver } from '../../../src/metrics/gang-metrics.js';
import { createRegistry } from '../../../src/metrics/registry.js';
import { parseHistogramTotals } from '../../../benchmarks/lib/metric-sum.js';

describe('histogram totals from Prometheus text', () => {
  it('adds sum and count over label sets and ignores other metrics of the same prefix', async () => {
    const registry = createRegistry(false);
    const observer = gangObserver(createGangMetrics(registry));
    observer.gangBound('clique', 1, 0.25);
    observer.gangBound('rack', 2, 0.5);
    const text = await registry.metrics();
    expect(parseHistogramTotals(text, 'phalanx_gang_commit_seconds')).toEqual({ sum: 0.75, count: 2 });
    expect(parseHistogramTotals(text, 'phalanx_gang_wait_seconds')).toEqual({ sum: 3, count: 2 });
  });

  it('is zero for a histogram the text does not have', () => {
    expect(parseHistogramTotals('x_sum{a="b"} 4\nx_count 1\n', 'y')).toEqual({ sum: 0, count: 0 });
    expect(parseHistogramTotals('x_sum{a="b"} 4\nx_count 1\n', 'x')).toEqual({ sum: 4, count: 1 });
  });
});
