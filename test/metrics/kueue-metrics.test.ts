import { describe, expect, it } from 'vitest';
import { createKueueMetrics } from '../../src/metrics/kueue-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';

describe('Kueue metrics', () => {
  it('publishes what each ClusterQueue borrows, per flavor and resource, as read at scrape time', async () => {
    const registry = createRegistry(false);
    let shares = [
      { clusterQueue: 'team-b', flavor: 'h100', resource: 'phalanx.dev/gpu-milli', borrowed: 32000 },
      { clusterQueue: 'team-b', flavor: 'h100', resource: 'nvidia.com/gpu', borrowed: 32 },
    ];
    createKueueMetrics(registry, () => Promise.resolve(shares));
    let text = await registry.metrics();
    expect(text).toContain(
      'phalanx_kueue_borrowed{cluster_queue="team-b",flavor="h100",resource="phalanx.dev/gpu-milli"} 32000',
    );
    expect(text).toContain(
      'phalanx_kueue_borrowed{cluster_queue="team-b",flavor="h100",resource="nvidia.com/gpu"} 32',
    );
    shares = [];
    text = await registry.metrics();
    expect(text).not.toContain('cluster_queue="team-b"');
  });
});
