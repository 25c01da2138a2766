// Metrics of Phalanx's own preemption (app/preemption/preemption-controller.ts), registered on the
// process's one Registry (metrics/registry.ts): decisions by kind and result, pods evicted by kind,
// and the time from a decision to its preemptor bound (every member, for a gang).
import { Counter, Histogram, type Registry } from 'prom-client';
import type { PreemptionObserver } from '../app/preemption/preemption-controller.js';

/** Victims take their grace period to leave; sub-second under KWOK, tens of seconds on real nodes. */
const BOUND_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export type PreemptionMetrics = ReturnType<typeof createPreemptionMetrics>;

export function createPreemptionMetrics(registry: Registry) {
  const registers = [registry];
  return {
    /** kind: gang | share; result: evicted, fits, no-victims, refused, not-eligible, failed. */
    decisions: new Counter({
      name: 'phalanx_preemption_decisions_total',
      help: "Phalanx's own preemption decisions for gangs and GPU shares, by kind and result.",
      labelNames: ['kind', 'result'] as const,
      registers,
    }),
    /** kind: gang-member (evicted with its whole gang) | pod. */
    evicted: new Counter({
      name: 'phalanx_preemption_evicted_pods_total',
      help: "Pods evicted by Phalanx's own preemption through the Eviction API, by kind.",
      labelNames: ['kind'] as const,
      registers,
    }),
    boundSeconds: new Histogram({
      name: 'phalanx_preemption_bound_seconds',
      help: 'Time from a preemption decision to its preemptor bound (every member of a gang), by kind.',
      labelNames: ['kind'] as const,
      buckets: BOUND_BUCKETS,
      registers,
    }),
  };
}

export function preemptionObserver(metrics: PreemptionMetrics): PreemptionObserver {
  return {
    decided: (kind, result) => metrics.decisions.inc({ kind, result }),
    evicted: (kind, count) => metrics.evicted.inc({ kind }, count),
    bound: (kind, seconds) => metrics.boundSeconds.observe({ kind }, seconds),
  };
}
