import { describe, expect, it } from 'vitest';
import { autoscalingObserver } from '../../src/metrics/autoscaling-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';

describe('autoscaling metrics', () => {
  it('publishes placeholders by kind and state, demand GPUs and writes, with fixed label sets', async () => {
    const registry = createRegistry(false);
    const observer = autoscalingObserver(registry);
    observer.reconciled({
      placeholders: { gang: { pending: 2, scheduled: 1 }, shares: { pending: 0, scheduled: 3 } },
      demandGpus: { gang: 12, shares: 2 },
      unitsOverLimit: 1,
    });
    observer.wrote('create', 'ok');
    observer.wrote('delete', 'failed');
    const text = await registry.metrics();
    expect(text).toContain('phalanx_autoscaling_placeholders{kind="gang",state="pending"} 2');
    expect(text).toContain('phalanx_autoscaling_placeholders{kind="gang",state="scheduled"} 1');
    expect(text).toContain('phalanx_autoscaling_placeholders{kind="shares",state="scheduled"} 3');
    expect(text).toContain('phalanx_autoscaling_demand_gpus{kind="gang"} 12');
    expect(text).toContain('phalanx_autoscaling_units_over_limit 1');
    expect(text).toContain(
      'phalanx_autoscaling_placeholder_writes_total{action="delete",outcome="failed"} 1',
    );
    observer.reconciled({
      placeholders: { gang: { pending: 0, scheduled: 0 }, shares: { pending: 0, scheduled: 0 } },
      demandGpus: { gang: 0, shares: 0 },
      unitsOverLimit: 0,
    });
    expect(await registry.metrics()).toContain(
      'phalanx_autoscaling_placeholders{kind="gang",state="pending"} 0',
    );
  });
});
