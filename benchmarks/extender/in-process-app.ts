// The extender's verbs over a cluster state, as an express app in the benchmark's own process: the
// real scheduling service and routes, no API server (binds are not measured), plain HTTP (the
// service's mutual TLS is the listener's, not the routes'). bench:extender and bench:soak serve it.
import type { Express } from 'express';
import { pino } from 'pino';
import { BindingWriter } from '../../src/app/binding/binding-writer.js';
import { SchedulingService } from '../../src/app/scheduling/scheduling-service.js';
import type { ClusterState } from '../../src/core/cluster-state.js';
import { policyByName } from '../../src/core/policies/registry.js';
import { createExtenderRouter } from '../../src/extender/routes.js';
import { createExtenderMetrics, createRegistry } from '../../src/metrics/registry.js';
import { createServerApp } from '../../src/server/app.js';

export interface InProcessOptions {
  readonly policy: string;
  readonly levels: readonly string[];
  readonly bodyLimitBytes: number;
}

export function inProcessExtenderApp(state: ClusterState, opts: InProcessOptions): Express {
  const noPods = { getPod: () => Promise.resolve(undefined) };
  const service = new SchedulingService({
    state,
    policyFor: () => policyByName(opts.policy),
    pods: noPods,
    binding: new BindingWriter({
      state,
      pods: noPods,
      binder: {
        annotateAndBind: () => Promise.reject(new Error('bench: bind not measured')),
        removeSchedulingGate: () => Promise.resolve(),
      },
    }),
    clock: { now: () => Date.now() },
    reservationTtlMs: 30_000,
    levels: opts.levels,
    notServingReason: () => undefined,
  });
  const registry = createRegistry(false);
  return createServerApp({
    extender: createExtenderRouter({
      verbs: service,
      metrics: createExtenderMetrics(registry),
      logger: pino({ level: 'silent' }),
      bodyLimitBytes: opts.bodyLimitBytes,
    }),
    registry,
    notReadyReasons: () => [],
    debugLedger: () => ({}),
  });
}
