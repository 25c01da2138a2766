// Production wiring of the two informers (nodes, pods) that feed ClusterSync, and the readiness they
// give: synced once both first lists are in and every bound pod has been accounted, and live while
// both watches are open (or reconnecting for less than a short grace).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { SyncStatus } from '../app/ports.js';
import type { Clock } from '../core/types.js';
import type { ClusterSync } from './cluster-sync.js';
import { SupervisedInformer, type InformerHooks } from './informer.js';
import type { KubeClients } from './kube-config.js';
import type { KubeLogger } from './kube-logger.js';
import { apiWatchSource } from './watch-source.js';

export interface ClusterInformersOptions {
  readonly clients: KubeClients;
  readonly sync: ClusterSync;
  readonly clock: Clock;
  readonly logger: KubeLogger;
  readonly hooks?: InformerHooks;
  /** Restart a watch silent for this long. */
  readonly stallMs?: number;
  /** A watch lost for longer than this makes the view not live (not ready). Default 5 s. */
  readonly liveGraceMs?: number;
}

/** Finished pods hold no GPUs; leaving them out of the watch keeps memory bounded (as kube-scheduler does). */
export const ACTIVE_PODS_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

export class ClusterInformers implements SyncStatus {
  readonly nodes: SupervisedInformer<V1Node>;
  readonly pods: SupervisedInformer<V1Pod>;
  readonly #sync: ClusterSync;
  readonly #liveGraceMs: number;

  constructor(o: ClusterInformersOptions) {
    this.#sync = o.sync;
    this.#liveGraceMs = o.liveGraceMs ?? 5_000;
    const core = o.clients.core;
    const common = {
      clock: o.clock,
      ...(o.hooks !== undefined ? { hooks: o.hooks } : {}),
      ...(o.stallMs !== undefined ? { stallMs: o.stallMs } : {}),
    };
    this.nodes = new SupervisedInformer<V1Node>({
      ...common,
      resource: 'nodes',
      logger: o.logger.child({ informer: 'nodes' }),
      source: apiWatchSource(o.clients.config, '/api/v1/nodes', (args) => core.listNode(args)),
      handlers: o.sync.nodeHandlers,
    });
    this.pods = new SupervisedInformer<V1Pod>({
      ...common,
      resource: 'pods',
      logger: o.logger.child({ informer: 'pods' }),
      source: apiWatchSource(o.clients.config, '/api/v1/pods', (args) => core.listPodForAllNamespaces(args), {
        fieldSelector: ACTIVE_PODS_SELECTOR,
      }),
      handlers: o.sync.podHandlers,
    });
  }

  start(): void {
    this.nodes.start();
    this.pods.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.nodes.stop(), this.pods.stop()]);
  }

  isSynced(): boolean {
    return this.nodes.isSynced() && this.pods.isSynced() && this.#sync.isAccounted();
  }

  /** Resources whose watch has been down longer than the grace: their view may be stale. */
  notLive(): string[] {
    return [this.nodes, this.pods].filter((i) => !i.isLive(this.#liveGraceMs)).map((i) => i.resource);
  }

  staleness(): Readonly<Record<string, number>> {
    return { nodes: this.nodes.staleness(), pods: this.pods.staleness() };
  }
}
