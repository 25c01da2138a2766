import { describe, expect, it } from 'vitest';
import { createGangMetrics, gangObserver } from '../../src/metrics/gang-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';

describe('gang metrics', () => {
  it('counts plans by result and placements by level, and observes wait time', async () => {
    const registry = createRegistry(false);
    const observer = gangObserver(createGangMetrics(registry));
    observer.planMade('nvidia.com/gpu.clique');
    observer.planFailed();
    observer.planReleased('barrier-timeout');
    observer.gangBound('nvidia.com/gpu.clique', 2, 0.03);
    observer.gangBound('nvidia.com/gpu.clique', 3);
    const text = await registry.metrics();
    expect(text).toContain('phalanx_gang_plans_total{result="made"} 1');
    expect(text).toContain('phalanx_gang_plans_total{result="failed"} 1');
    expect(text).toContain('phalanx_gang_plans_total{result="barrier-timeout"} 1');
    expect(text).toContain('phalanx_gang_placements_total{level="nvidia.com/gpu.clique"} 2');
    expect(text).toContain('phalanx_gang_wait_seconds_bucket{le="2.5"} 1');
    expect(text).toContain('phalanx_gang_wait_seconds_bucket{le="1"} 0');
    // A leader-first gang has no commit of its own: only the first gang is counted.
    expect(text).toContain('phalanx_gang_commit_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('phalanx_gang_commit_seconds_bucket{le="0.025"} 0');
    expect(text).toContain('phalanx_gang_commit_seconds_count 1');
  });
});
