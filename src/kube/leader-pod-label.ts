// Marks the serving replica's own Pod with `phalanx.dev/leader: "true"`; the Services select on that
// label, so the scheduler and the apiserver reach the leader alone while every synced replica still
// reports Ready (and rollouts, PDBs and `kubectl rollout status` behave as for any Deployment).
// A new leader also clears the label from any other pod: a predecessor that lost the Lease without
// running its shutdown (partitioned, killed) cannot clear its own.
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import { LEADER_POD_LABEL } from '../core/names.js';
import { retryWithBackoff } from './retry.js';
import { describeError, withTimeout } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';

export type LeaderLabelApi = Pick<CoreV1Api, 'patchNamespacedPod' | 'listNamespacedPod'>;

export interface LeaderPodLabelOptions {
  readonly api: LeaderLabelApi;
  readonly namespace: string;
  readonly podName: string;
  readonly logger: KubeLogger;
  readonly attempts?: number;
  readonly initialDelayMs?: number;
  readonly requestTimeoutMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class LeaderPodLabel {
  readonly #o: LeaderPodLabelOptions;
  /** The state last asked for; a pending attempt for an outdated state gives up. */
  #wanted: boolean | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: LeaderPodLabelOptions) {
    this.#o = options;
  }

  /** Labels (leading) or unlabels this replica's pod; calls apply in order, retried with backoff. */
  set(leading: boolean): Promise<void> {
    this.#wanted = leading;
    this.#queue = this.#queue.then(() => this.#apply(leading));
    return this.#queue;
  }

  async #apply(leading: boolean): Promise<void> {
    const result = await retryWithBackoff(
      async () => {
        await this.#label(this.#o.podName, leading);
        if (leading) await this.#clearOthers();
      },
      {
        attempts: this.#o.attempts ?? 6,
        initialDelayMs: this.#o.initialDelayMs ?? 250,
        maxDelayMs: 8_000,
        ...(this.#o.sleep ? { sleep: this.#o.sleep } : {}),
        stillWanted: () => this.#wanted === leading,
        onFailure: (err, attempt) => {
          this.#o.logger.warn({ attempt, err: describeError(err) }, 'leader label update failed');
          return undefined;
        },
      },
    );
    if (result.ok) this.#o.logger.info({ pod: this.#o.podName, leading }, 'leader label updated');
    else if ('error' in result) {
      this.#o.logger.error(
        { pod: this.#o.podName, leading },
        'leader label not updated: Services may route wrongly',
      );
    }
  }

  async #clearOthers(): Promise<void> {
    const { namespace, podName } = this.#o;
    const list = await withTimeout(
      this.#o.api.listNamespacedPod({ namespace, labelSelector: `${LEADER_POD_LABEL}=true` }),
      this.#o.requestTimeoutMs ?? 10_000,
      'list leader-labelled pods',
    );
    for (const pod of list.items) {
      const name = pod.metadata?.name;
      if (name !== undefined && name !== podName) await this.#label(name, false);
    }
  }

  async #label(name: string, leading: boolean): Promise<void> {
    const body = { metadata: { labels: { [LEADER_POD_LABEL]: leading ? 'true' : null } } };
    await withTimeout(
      this.#o.api.patchNamespacedPod({ name, namespace: this.#o.namespace, body }, merge),
      this.#o.requestTimeoutMs ?? 10_000,
      `label pod ${this.#o.namespace}/${name}`,
    );
  }
}
