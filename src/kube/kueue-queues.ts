// Kueue's ClusterQueues as Phalanx reads them for metrics: how much of each resource every queue
// borrows from its cohort (status.flavorsUsage[].resources[].borrowed). Kueue is optional: the API
// group is discovered first, rediscovered at most once per minute while absent, and a cluster
// without it costs one discovery call per minute and no log noise. Reads are cached briefly, so a
// burst of scrapes makes one list call.
import { ApisApi, type CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { BorrowedShare, Clock } from '../core/types.js';
import { parseQuantity } from '../core/quantity.js';
import { describeError, httpStatusOf } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';

export const KUEUE_GROUP = 'kueue.x-k8s.io';

interface ClusterQueueObject {
  readonly metadata?: { readonly name?: string };
  readonly status?: {
    readonly flavorsUsage?: readonly {
      readonly name?: string;
      readonly resources?: readonly { readonly name?: string; readonly borrowed?: string | number }[];
    }[];
  };
}

/** Every (queue, flavor, resource) a ClusterQueue list reports, borrowed or not; bad quantities are skipped. */
export function borrowedShares(items: readonly ClusterQueueObject[]): BorrowedShare[] {
  const shares: BorrowedShare[] = [];
  for (const cq of items) {
    const clusterQueue = cq.metadata?.name ?? '';
    for (const flavor of cq.status?.flavorsUsage ?? []) {
      for (const r of flavor.resources ?? []) {
        let borrowed: number;
        try {
          borrowed = parseQuantity(r.borrowed ?? 0, 'borrowed');
        } catch {
          continue;
        }
        shares.push({ clusterQueue, flavor: flavor.name ?? '', resource: r.name ?? '', borrowed });
      }
    }
  }
  return shares;
}

export interface KueueQueueSourceOptions {
  /** The preferred version of the kueue.x-k8s.io group, or undefined when the API server has none. */
  readonly discover: () => Promise<string | undefined>;
  readonly listClusterQueues: (version: string) => Promise<readonly ClusterQueueObject[]>;
  readonly clock: Clock;
  readonly logger: KubeLogger;
  readonly rediscoverMs?: number;
  readonly cacheMs?: number;
}

export class KueueQueueSource {
  readonly #o: KueueQueueSourceOptions;
  #version: string | undefined;
  #checkedAt = -Infinity;
  #cached: { at: number; shares: BorrowedShare[] } | undefined;
  #warned = false;

  constructor(options: KueueQueueSourceOptions) {
    this.#o = options;
  }

  /** The borrowed shares, or [] when Kueue is absent (or unreadable: the last answer is kept). */
  async borrowed(): Promise<readonly BorrowedShare[]> {
    const now = this.#o.clock.now();
    if (this.#cached !== undefined && now - this.#cached.at < (this.#o.cacheMs ?? 5_000))
      return this.#cached.shares;
    const version = await this.#versionAt(now);
    if (version === undefined) return [];
    try {
      const shares = borrowedShares(await this.#o.listClusterQueues(version));
      this.#cached = { at: now, shares };
      this.#warned = false;
      return shares;
    } catch (err) {
      if (httpStatusOf(err) === 404) {
        // The CRDs went away: forget them and look again later.
        this.#version = undefined;
        this.#cached = undefined;
        return [];
      }
      if (!this.#warned) this.#o.logger.warn({ err: describeError(err) }, 'cannot list Kueue ClusterQueues');
      this.#warned = true;
      return this.#cached?.shares ?? [];
    }
  }

  async #versionAt(now: number): Promise<string | undefined> {
    if (this.#version !== undefined) return this.#version;
    if (now - this.#checkedAt < (this.#o.rediscoverMs ?? 60_000)) return undefined;
    this.#checkedAt = now;
    try {
      this.#version = await this.#o.discover();
    } catch (err) {
      this.#o.logger.debug({ err: describeError(err) }, 'API discovery failed');
    }
    return this.#version;
  }
}

/** The production source: discovery through /apis, lists through the custom objects API. */
export function apiKueueQueueSource(
  kc: KubeConfig,
  customObjects: Pick<CustomObjectsApi, 'listClusterCustomObject'>,
  clock: Clock,
  logger: KubeLogger,
): KueueQueueSource {
  const apis = kc.makeApiClient(ApisApi);
  return new KueueQueueSource({
    clock,
    logger,
    discover: async () =>
      (await apis.getAPIVersions()).groups.find((g) => g.name === KUEUE_GROUP)?.preferredVersion?.version,
    listClusterQueues: async (version) => {
      const list = (await customObjects.listClusterCustomObject({
        group: KUEUE_GROUP,
        version,
        plural: 'clusterqueues',
      })) as { items?: ClusterQueueObject[] };
      return list.items ?? [];
    },
  });
}
