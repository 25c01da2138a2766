import { describe, expect, it } from 'vitest';
import { extenderChart } from '../../../benchmarks/lib/charts.js';

describe('extenderChart', () => {
  const run = (nodes: number, mode: string, p50: number, p99: number) => ({
    nodes,
    mode,
    filterPrioritizeP50Ms: p50,
    filterPrioritizeP99Ms: p99,
    serviceFilterPrioritizeP50Ms: p50 / 2,
    serviceFilterPrioritizeP99Ms: p99 / 2,
  });

  it('draws one group per node count and mode, with round-trip and service series', () => {
    const svg = extenderChart({
      policy: 'phalanx',
      runs: [run(1152, 'names', 3, 9), run(4896, 'objects', 40, 120)],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('policy phalanx');
    expect(svg).toContain('1152 nodes, names');
    expect(svg).toContain('4896 nodes, objects');
    for (const name of ['round trip p50', 'round trip p99', 'service p50', 'service p99']) {
      expect(svg).toContain(name);
    }
  });

  it('leaves out the service series for results recorded before it existed', () => {
    const svg = extenderChart({
      runs: [{ nodes: 1152, mode: 'names', filterPrioritizeP50Ms: 3, filterPrioritizeP99Ms: 9 }],
    });
    expect(svg).toContain('round trip p99');
    expect(svg).not.toContain('service p50');
  });
});
