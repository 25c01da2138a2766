// One prom-client Registry per process with every extender-side metric. Admission metrics live in
// admission-metrics.ts and register on the same registry.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Sub-millisecond resolution up to the scheduler's default 5 s extender timeout. */
const VERB_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createRegistry(withDefaults = true): Registry {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}

export type ExtenderMetrics = ReturnType<typeof createExtenderMetrics>;

export function createExtenderMetrics(registry: Registry) {
  const registers = [registry];
  return {
    verbDuration: new Histogram({
      name: 'phalanx_extender_request_duration_seconds',
      help: 'Extender verb latency by verb and outcome.',
      labelNames: ['verb', 'outcome'] as const,
      buckets: VERB_BUCKETS,
      registers,
    }),
    prioritizeAheadUsed: new Counter({
      name: 'phalanx_extender_prioritize_ahead_used_total',
      help: 'Prioritize requests answered with what was computed ahead, right after their filter reply.',
      registers,
    }),
    filterRejections: new Counter({
      name: 'phalanx_filter_rejections_total',
      help: 'Nodes rejected by filter, by low-cardinality reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    bindFailures: new Counter({
      name: 'phalanx_bind_failures_total',
      help: 'Binds answered with an error, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    bindsTotal: new Counter({
      name: 'phalanx_binds_total',
      help: 'Pods bound by the extender.',
      registers,
    }),
    malformedRequests: new Counter({
      name: 'phalanx_extender_malformed_requests_total',
      help: 'Requests answered 4xx because the body was malformed.',
      labelNames: ['verb'] as const,
      registers,
    }),
    gpuMilliCapacity: new Gauge({
      name: 'phalanx_gpu_milli_capacity',
      help: 'GPU capacity known to the ledger, milli-GPU, cluster total.',
      registers,
    }),
    gpuMilliAllocated: new Gauge({
      name: 'phalanx_gpu_milli_allocated',
      help: 'GPU allocated (committed) in the ledger, milli-GPU, cluster total.',
      registers,
    }),
    gpuMilliReserved: new Gauge({
      name: 'phalanx_gpu_milli_reserved',
      help: 'GPU held by reservations not yet bound, milli-GPU, cluster total.',
      registers,
    }),
    reservations: new Gauge({
      name: 'phalanx_reservations',
      help: 'Reservations currently held.',
      registers,
    }),
    reservationsExpired: new Counter({
      name: 'phalanx_reservations_expired_total',
      help: 'Reservations returned because their pod never reached bind in time.',
      registers,
    }),
    informerLastEvent: new Gauge({
      name: 'phalanx_informer_last_event_timestamp_seconds',
      help: 'Time of the last event or re-list per informer.',
      labelNames: ['resource'] as const,
      registers,
    }),
    informerRestarts: new Counter({
      name: 'phalanx_informer_restarts_total',
      help: 'Informer restarts after errors or stalls.',
      labelNames: ['resource'] as const,
      registers,
    }),
    informerStale: new Gauge({
      name: 'phalanx_informer_stale',
      help: '1 while the informer view is known to be stale (disconnected or re-listing).',
      labelNames: ['resource'] as const,
      registers,
    }),
    ledgerRejectedFacts: new Counter({
      name: 'phalanx_ledger_rejected_facts_total',
      help: 'Bound pods whose recorded assignment could not be applied (unknown node/device, overcommit, garbage).',
      registers,
    }),
    leader: new Gauge({ name: 'phalanx_leader', help: '1 while this replica leads.', registers }),
    ready: new Gauge({ name: 'phalanx_ready', help: '1 while this replica reports ready.', registers }),
  };
}
