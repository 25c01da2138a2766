// Admission webhook metrics, registered on the process's one Registry (metrics/registry.ts).
import { Counter, Histogram, type Registry } from 'prom-client';

/** Admission work is in-memory plus at most one owner lookup; the top bucket is the webhook timeout. */
const ADMISSION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export type AdmissionMetrics = ReturnType<typeof createAdmissionMetrics>;

export function createAdmissionMetrics(registry: Registry) {
  const registers = [registry];
  return {
    /**
     * One increment per review. outcome: allowed (no change), mutated, denied, malformed, error.
     * reason: the first denial rule (e.g. out-of-range, forbidden), or "none".
     */
    admissions: new Counter({
      name: 'phalanx_admission_requests_total',
      help: 'Admission reviews by operation, outcome and first denial reason.',
      labelNames: ['operation', 'outcome', 'reason'] as const,
      registers,
    }),
    /** Every reason of every denial (a review can break several rules at once). */
    denialReasons: new Counter({
      name: 'phalanx_admission_denial_reasons_total',
      help: 'Reasons pods were refused, by rule.',
      labelNames: ['reason'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'phalanx_admission_request_duration_seconds',
      help: 'Admission review latency, from parsed body to response.',
      labelNames: ['operation'] as const,
      buckets: ADMISSION_BUCKETS,
      registers,
    }),
  };
}
