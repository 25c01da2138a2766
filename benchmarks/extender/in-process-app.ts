// The extender's verbs over a cluster state, as the request handler `phalanx serve` mounts, in the
// benchmark's own process: the real scheduling service and routes, no API server (binds are not
// measured), plain HTTP (the service's mutual TLS is the listener's, not the handler's).
// bench:extender and bench:soak serve it.
import type { RequestListener } from 'node:http';
import { pino } from 'pino';
import { BindingWriter } from '../../src/app/binding/binding-writer.js';
import { SchedulingService } from '../../src/app/scheduling/scheduling-service.js';
import type { ClusterState } from '../../src/core/cluster-state.js';
import type { PlacementPolicy } from '../../src/core/policies/policy.js';
import { policyByName } from '../../src/core/policies/registry.js';
import { createExtenderHandler } from '../../src/extender/routes.js';
import { createExtenderMetrics, createRegistry } from '../../src/metrics/registry.js';

export interface InProcessOptions {
  readonly policy: string;
  readonly levels: readonly string[];
  readonly bodyLimitBytes: number;
}

/** The scheduling service `phalanx serve` runs, over `state`, with one policy for every pod. */
export function benchSchedulingService(
  state: ClusterState,
  policy: PlacementPolicy,
  levels: readonly string[],
): SchedulingService {
  const noPods = { getPod: () => Promise.resolve(undefined) };
  return new SchedulingService({
    state,
    policyFor: () => policy,
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
    levels,
    notServingReason: () => undefined,
  });
}

export function inProcessExtenderApp(state: ClusterState, opts: InProcessOptions): RequestListener {
  // One instance for the process, as `phalanx serve` keeps it: a learning policy must see the pods.
  const service = benchSchedulingService(state, policyByName(opts.policy), opts.levels);
  const handler = createExtenderHandler({
    verbs: service,
    metrics: createExtenderMetrics(createRegistry(false)),
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: opts.bodyLimitBytes,
  });
  return (req, res) => handler(req, res);
}
