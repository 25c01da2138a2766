// Wires demand an autoscaler can see (app/autoscaling) to the API: placeholder pods for waiting shares
// and gangs, and ProvisioningRequests for gangs when configured. Every write is fenced on the Lease.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LeaderFence } from '../app/ports.js';
import { PlaceholderController } from '../app/autoscaling/placeholder-controller.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/types.js';
import type { KubeClients } from '../kube/kube-config.js';
import type { NodeIndex } from '../kube/node-index.js';
import { ApiPlaceholderPods } from '../kube/placeholder-pods.js';
import { ApiProvisioningRequests, discoveryApi } from '../kube/provisioning-requests.js';
import { autoscalingObserver } from '../metrics/autoscaling-metrics.js';
import { fencedApi } from './leadership.js';

export interface AutoscalingWiring {
  readonly config: Config;
  readonly clients: KubeClients;
  readonly fence: LeaderFence;
  readonly nodeIndex: NodeIndex;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly active: () => boolean;
  readonly logger: Logger;
}

/** The placeholder controller, or undefined when autoscaling is off (the default). */
export function placeholderController(w: AutoscalingWiring): PlaceholderController | undefined {
  const { config, clients, fence, nodeIndex, clock, logger } = w;
  if (!config.autoscaling.enabled) return undefined;
  const requests =
    config.autoscaling.gangs === 'provisioningRequest'
      ? new ApiProvisioningRequests(
          {
            apis: discoveryApi(clients.config),
            core: fencedApi(clients.core, fence, [
              'createNamespacedPodTemplate',
              'deleteCollectionNamespacedPodTemplate',
              'patchNamespacedPod',
            ]),
            customObjects: fencedApi(clients.customObjects, fence, [
              'createNamespacedCustomObject',
              'deleteNamespacedCustomObject',
            ]),
          },
          config.autoscaling,
          clock,
        )
      : undefined;
  return new PlaceholderController({
    ...config.autoscaling,
    schedulerName: config.schedulerName,
    levels: config.topology.levels,
    pods: new ApiPlaceholderPods(
      fencedApi(clients.core, fence, ['createNamespacedPod', 'deleteNamespacedPod']),
      config.autoscaling,
    ),
    ...(requests === undefined ? {} : { requests }),
    nodes: {
      labels: (name) => nodeIndex.get(name)?.metadata?.labels,
      all: function* () {
        for (const name of nodeIndex.names()) {
          const node = nodeIndex.get(name);
          if (node !== undefined) yield node;
        }
      },
    },
    clock,
    active: w.active,
    observer: autoscalingObserver(w.registry),
    onAction: (action, detail) => logger.info(detail, `capacity placeholder ${action}`),
    onError: (action, err, detail) =>
      logger.warn({ err, ...detail }, `capacity placeholder ${action} failed`),
  });
}
