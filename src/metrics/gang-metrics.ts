// Gang metrics, registered on the process's one Registry (metrics/registry.ts), and the
// GangObserver that feeds them from the gang coordinator.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { GangObserver } from '../app/gang/gang-types.js';

/** From the first filter of a gang to its last member bound: sub-second to minutes. */
const WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** The commit is one Binding per member written in parallel: milliseconds to seconds. */
const COMMIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type GangMetrics = ReturnType<typeof createGangMetrics>;

export function createGangMetrics(registry: Registry) {
  const registers = [registry];
  return {
    waitSeconds: new Histogram({
      name: 'phalanx_gang_wait_seconds',
      help: 'Time from the first filter of a gang to every member bound.',
      buckets: WAIT_BUCKETS,
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'phalanx_gang_commit_seconds',
      help: 'Time from the last member of a gang reaching bind to every member bound (the Binding writes of the all-or-nothing commit).',
      buckets: COMMIT_BUCKETS,
      registers,
    }),
    /** result: made, failed (no domain could hold the gang), or released:<cause>. */
    plans: new Counter({
      name: 'phalanx_gang_plans_total',
      help: 'Gang plans by result: made, failed, expired, barrier-timeout, member-deleted, capacity-lost.',
      labelNames: ['result'] as const,
      registers,
    }),
    placements: new Counter({
      name: 'phalanx_gang_placements_total',
      help: 'Gangs bound in full, by topology level achieved (a label key, node, or cluster).',
      labelNames: ['level'] as const,
      registers,
    }),
  };
}

export function gangObserver(metrics: GangMetrics): GangObserver {
  return {
    planMade: () => metrics.plans.inc({ result: 'made' }),
    planFailed: () => metrics.plans.inc({ result: 'failed' }),
    planReleased: (cause) => metrics.plans.inc({ result: cause }),
    gangBound: (level, waitSeconds, commitSeconds) => {
      metrics.placements.inc({ level });
      metrics.waitSeconds.observe(waitSeconds);
      if (commitSeconds !== undefined) metrics.commitSeconds.observe(commitSeconds);
    },
  };
}
