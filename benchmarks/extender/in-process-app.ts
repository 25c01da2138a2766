// The extender's verbs over a cluster state, as the request handler `phalanx serve` mounts, in the
// benchmark's own process: the real scheduling service and routes, no API server, plain HTTP (the
// service's mutual TLS is the listener's, not the handler's). Binds are refused, or with `binds`
// served against the ledger alone: the pods filtered are kept by UID and a Binding write always
// succeeds, so each bind changes its node as in a cluster. bench:extender and bench:soak serve it.
import type { RequestListener } from 'node:http';
import { pino } from 'pino';
import { BindingWriter } from '../../src/app/binding/binding-writer.js';
import { SchedulingService } from '../../src/app/scheduling/scheduling-service.js';
import type { Binder, PodReader } from '../../src/app/ports.js';
import type { SchedulingVerbs } from '../../src/app/verbs.js';
import type { ClusterState } from '../../src/core/cluster-state.js';
import type { PodShape } from '../../src/core/kube-shapes.js';
import type { PlacementPolicy } from '../../src/core/policies/policy.js';
import { policyByName } from '../../src/core/policies/registry.js';
import { createExtenderHandler } from '../../src/extender/routes.js';
import { createExtenderMetrics, createRegistry } from '../../src/metrics/registry.js';

export interface InProcessOptions {
  readonly policy: string;
  readonly levels: readonly string[];
  readonly bodyLimitBytes: number;
  /** Serve binds against the ledger (see above) instead of refusing them. */
  readonly binds?: boolean;
  /**
   * The handler's `prioritizeAhead` (default off here): on, prioritize's work runs right after the
   * filter reply and the prioritize request mostly reads it, so request service times no longer
   * hold that work. A benchmark client sends prioritize as soon as it has parsed the filter reply,
   * sooner than kube-scheduler, which runs its score plugins first.
   */
  readonly prioritizeAhead?: boolean;
}

const noPods: PodReader = { getPod: () => Promise.resolve(undefined) };
const refusingBinder: Binder = {
  annotateAndBind: () => Promise.reject(new Error('bench: bind not measured')),
  removeSchedulingGate: () => Promise.resolve(),
};

/** The scheduling service `phalanx serve` runs, over `state`, with one policy for every pod. */
export function benchSchedulingService(
  state: ClusterState,
  policy: PlacementPolicy,
  levels: readonly string[],
  pods: PodReader = noPods,
  binder: Binder = refusingBinder,
): SchedulingService {
  return new SchedulingService({
    state,
    policyFor: () => policy,
    pods,
    binding: new BindingWriter({ state, pods, binder }),
    clock: { now: () => Date.now() },
    reservationTtlMs: 30_000,
    levels,
    notServingReason: () => undefined,
  });
}

export function inProcessExtenderApp(state: ClusterState, opts: InProcessOptions): RequestListener {
  // One instance for the process, as `phalanx serve` keeps it: a learning policy must see the pods.
  const policy = policyByName(opts.policy);
  const handler = createExtenderHandler({
    verbs: opts.binds
      ? bindingVerbs(state, policy, opts.levels)
      : benchSchedulingService(state, policy, opts.levels),
    metrics: createExtenderMetrics(createRegistry(false)),
    logger: pino({ level: 'silent' }),
    bodyLimitBytes: opts.bodyLimitBytes,
    prioritizeAhead: opts.prioritizeAhead === true,
  });
  return (req, res) => handler(req, res);
}

/** The verbs with binds served against the ledger: each filtered pod is kept for its bind to read. */
function bindingVerbs(
  state: ClusterState,
  policy: PlacementPolicy,
  levels: readonly string[],
): SchedulingVerbs {
  const filtered = new Map<string, PodShape>();
  const pods: PodReader = { getPod: (_namespace, _name, uid) => Promise.resolve(filtered.get(uid ?? '')) };
  const binder: Binder = {
    annotateAndBind: () => Promise.resolve(),
    removeSchedulingGate: () => Promise.resolve(),
  };
  const service = benchSchedulingService(state, policy, levels, pods, binder);
  return {
    filter: (pod, names) => {
      filtered.set(pod.metadata?.uid ?? '', pod);
      return service.filter(pod, names);
    },
    prioritize: (pod, names) => service.prioritize(pod, names),
    prioritizeAhead: (pod, names) => service.prioritizeAhead(pod, names),
    bind: (request) => service.bind(request),
  };
}
