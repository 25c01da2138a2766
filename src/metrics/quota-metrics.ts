// Quota and preemption visibility, registered on the process's one Registry (metrics/registry.ts):
// GPU share in use per namespace (computed at scrape time from the ledger, so it is never stale and
// namespaces that stop using GPUs disappear), and preemption answers and victims by reason.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PreemptObserver } from '../app/preemption/preempt-service.js';

export type QuotaMetrics = ReturnType<typeof createQuotaMetrics>;

/** `usage` answers namespace → milli-GPU in use (core/ledger/namespace-usage.ts gpuMilliByNamespace). */
export function createQuotaMetrics(registry: Registry, usage: () => ReadonlyMap<string, number>) {
  const registers = [registry];
  return {
    namespaceGpuMilli: new Gauge({
      name: 'phalanx_namespace_gpu_milli_in_use',
      help: 'GPU share held by bound pods per namespace, milli-GPU (a whole device is 1000).',
      labelNames: ['namespace'] as const,
      registers,
      collect() {
        this.reset();
        for (const [namespace, milli] of usage()) this.set({ namespace }, milli);
      },
    }),
    /** result: victims, fits, cannot-help, unknown-node, invalid-request. */
    preemptNodes: new Counter({
      name: 'phalanx_preemption_nodes_total',
      help: 'Candidate nodes answered by the preempt verb, by result.',
      labelNames: ['result'] as const,
      registers,
    }),
    /** reason: gpu (frees the share or device), gang (goes with its gang), host (the scheduler chose it for CPU/memory). */
    preemptVictims: new Counter({
      name: 'phalanx_preemption_victims_total',
      help: 'Pods named as preemption victims, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    /** Gang-mates on other nodes Phalanx deleted after the scheduler preempted one member (app/preemption/preempt-gangs.ts). */
    gangMatesEvicted: new Counter({
      name: 'phalanx_preemption_gang_members_evicted_total',
      help: 'Members of a preempted gang deleted by Phalanx on other nodes, so the gang goes whole.',
      registers,
    }),
  };
}

export function preemptObserver(metrics: QuotaMetrics): PreemptObserver {
  return {
    nodeResult: (result) => metrics.preemptNodes.inc({ result }),
    victimsChosen: (reason, count) => metrics.preemptVictims.inc({ reason }, count),
  };
}
