// Metrics of the autoscaling feature: live placeholders by kind and state, the whole GPUs the waiting
// demand stands for, units left out by the bound, and placeholder writes. Every label set is fixed.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AutoscalingObserver } from '../app/autoscaling/ports.js';

export function autoscalingObserver(registry: Registry): AutoscalingObserver {
  const placeholders = new Gauge({
    name: 'phalanx_autoscaling_placeholders',
    help: 'Capacity placeholder pods by kind (gang, shares) and state (pending, scheduled)',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
  });
  const demandGpus = new Gauge({
    name: 'phalanx_autoscaling_demand_gpus',
    help: 'Whole GPUs that waiting gangs and GPU shares stand for, as placeholders request them, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const overLimit = new Gauge({
    name: 'phalanx_autoscaling_units_over_limit',
    help: 'Waiting gangs or share groups left without placeholders because autoscaling.maxPlaceholders was reached',
    registers: [registry],
  });
  const writes = new Counter({
    name: 'phalanx_autoscaling_placeholder_writes_total',
    help: 'Placeholder pod creates and deletes by outcome',
    labelNames: ['action', 'outcome'] as const,
    registers: [registry],
  });
  return {
    reconciled(s) {
      for (const kind of ['gang', 'shares'] as const) {
        for (const state of ['pending', 'scheduled'] as const)
          placeholders.set({ kind, state }, s.placeholders[kind][state]);
        demandGpus.set({ kind }, s.demandGpus[kind]);
      }
      overLimit.set(s.unitsOverLimit);
    },
    wrote(action, outcome) {
      writes.inc({ action, outcome });
    },
  };
}
