import { describe, expect, it } from 'vitest';
import { createQuotaMetrics, preemptObserver } from '../../src/metrics/quota-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';

describe('quota metrics', () => {
  it('reads namespace use at scrape time and drops namespaces that stopped using GPUs', async () => {
    const registry = createRegistry(false);
    let usage = new Map([
      ['team-a', 1500],
      ['team-b', 250],
    ]);
    createQuotaMetrics(registry, () => usage);
    let text = await registry.metrics();
    expect(text).toContain('phalanx_namespace_gpu_milli_in_use{namespace="team-a"} 1500');
    expect(text).toContain('phalanx_namespace_gpu_milli_in_use{namespace="team-b"} 250');
    usage = new Map([['team-a', 500]]);
    text = await registry.metrics();
    expect(text).toContain('phalanx_namespace_gpu_milli_in_use{namespace="team-a"} 500');
    expect(text).not.toContain('team-b');
  });

  it('counts preempt answers by result and victims by reason', async () => {
    const registry = createRegistry(false);
    const observer = preemptObserver(createQuotaMetrics(registry, () => new Map()));
    observer.nodeResult('victims');
    observer.nodeResult('victims');
    observer.nodeResult('cannot-help');
    observer.victimsChosen('gang', 3);
    observer.victimsChosen('gpu', 1);
    const text = await registry.metrics();
    expect(text).toContain('phalanx_preemption_nodes_total{result="victims"} 2');
    expect(text).toContain('phalanx_preemption_nodes_total{result="cannot-help"} 1');
    expect(text).toContain('phalanx_preemption_victims_total{reason="gang"} 3');
    expect(text).toContain('phalanx_preemption_victims_total{reason="gpu"} 1');
  });

  it('counts answers dropped for a cheaper node and gang members evicted on other nodes', async () => {
    const registry = createRegistry(false);
    const metrics = createQuotaMetrics(registry, () => new Map());
    preemptObserver(metrics).nodeResult('costlier');
    metrics.gangMatesEvicted.inc(3);
    const text = await registry.metrics();
    expect(text).toContain('phalanx_preemption_nodes_total{result="costlier"} 1');
    expect(text).toContain('phalanx_preemption_gang_members_evicted_total 3');
  });
});
