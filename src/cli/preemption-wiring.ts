// Wires Phalanx's own preemption (app/preemption: whole gangs and GPU shares) to the API: PDBs read
// fresh, evictions and nominations written through the Lease-fenced client.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventRecorder } from '../app/ports.js';
import { PreemptionController } from '../app/preemption/preemption-controller.js';
import type { PreemptionHolds } from '../app/preemption/preemption-holds.js';
import type { Config } from '../config/schema.js';
import type { ClusterState } from '../core/cluster-state.js';
import type { Clock } from '../core/types.js';
import { ApiDisruptionBudgets } from '../kube/disruption-budgets.js';
import type { KubeClients } from '../kube/kube-config.js';
import type { NodeIndex } from '../kube/node-index.js';
import { IndexedNodeLookup } from '../kube/node-lookup.js';
import type { PodIndex } from '../kube/pod-index.js';
import { ApiPodNominator, ApiPreemptionEvictor } from '../kube/preemption-eviction.js';
import { createPreemptionMetrics, preemptionObserver } from '../metrics/preemption-metrics.js';

export interface PreemptionWiring {
  readonly config: Config;
  readonly clients: KubeClients;
  /** Fenced on the Lease for evictions and status patches (serve.ts). */
  readonly fencedCore: CoreV1Api;
  readonly state: ClusterState;
  readonly holds: PreemptionHolds;
  readonly podIndex: PodIndex;
  readonly nodeIndex: NodeIndex;
  readonly events: EventRecorder;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly active: () => boolean;
  readonly logger: Logger;
}

export function preemptionController(w: PreemptionWiring): PreemptionController {
  const { config, clock } = w;
  return new PreemptionController({
    state: w.state,
    holds: w.holds,
    nodePods: w.podIndex,
    gangs: w.podIndex,
    nodes: new IndexedNodeLookup(w.nodeIndex, w.podIndex),
    budgets: ApiDisruptionBudgets.fromConfig(w.clients.config),
    evictor: new ApiPreemptionEvictor(w.fencedCore, clock),
    nominator: new ApiPodNominator(w.fencedCore),
    events: w.events,
    clock,
    levels: config.topology.levels,
    policy: {
      schedulerName: config.schedulerName,
      allowOtherSchedulers: config.preemption.allowOtherSchedulersVictims,
    },
    holdTtlMs: config.preemption.holdTtlMs,
    retryMs: config.preemption.retryMs,
    active: w.active,
    observer: preemptionObserver(createPreemptionMetrics(w.registry)),
    onError: (err, preemptor) => w.logger.warn({ err, preemptor }, 'preemption failed'),
  });
}
