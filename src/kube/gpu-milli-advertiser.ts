// Advertises every GPU node's devices as `phalanx.dev/gpu-milli` capacity and allocatable (devices ×
// 1000) on the Node status, the documented way to advertise an extended resource. Whatever compares
// requests with node capacity — Kueue's topology-aware admission, `kubectl describe node`, kubelet's
// admission of pods that request the resource — then counts GPU shares. Only the leader writes;
// only a node whose status differs is written (the write's own watch event then matches, so there is
// no loop), a bounded number at a time; a node without GPUs loses the resource.
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import { nodeInventory } from '../core/inventory.js';
import type { NodeShape } from '../core/kube-shapes.js';
import { Resource } from '../core/names.js';
import { parseQuantity } from '../core/quantity.js';
import { retryWithBackoff } from './retry.js';
import { describeError, httpStatusOf, withTimeout } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';

export type NodeStatusApi = Pick<CoreV1Api, 'patchNodeStatus'>;

/** Milli-GPU to advertise; null: the node has no GPUs, the resource is removed. */
export type AdvertisedMilli = number | null;

export interface GpuMilliAdvertiserOptions {
  readonly api: NodeStatusApi;
  readonly logger: KubeLogger;
  /** Writes in flight at most (the first pass over a large cluster writes every node once). */
  readonly concurrency?: number;
  /** Attempts per write before giving up until the node's next event or the next leadership. */
  readonly attempts?: number;
  readonly initialDelayMs?: number;
  readonly requestTimeoutMs?: number;
  readonly onWritten?: () => void;
  readonly onFailed?: () => void;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const MAX_DELAY_MS = 30_000;

/** What the node should advertise, or undefined when its GPUs cannot be read (the ledger refuses it too). */
export function wantedGpuMilli(node: NodeShape): AdvertisedMilli | undefined {
  let devices: number;
  try {
    devices = nodeInventory(node).devices.length;
  } catch {
    return undefined;
  }
  return devices === 0 ? null : devices * 1000;
}

/** True when both capacity and allocatable already say `wanted` (the API returns 8000 as "8k"). */
export function advertises(node: NodeShape, wanted: AdvertisedMilli): boolean {
  const status = node.status;
  return [status?.capacity, status?.allocatable].every((list) => {
    const value = list?.[Resource.gpuMilli];
    if (value === undefined) return wanted === null;
    try {
      return parseQuantity(value, Resource.gpuMilli) === wanted;
    } catch {
      return false;
    }
  });
}

export class GpuMilliAdvertiser {
  readonly #o: GpuMilliAdvertiserOptions;
  /** Nodes whose status differs from what they should advertise, with that value. */
  readonly #differing = new Map<string, AdvertisedMilli>();
  /** Nodes waiting for a writer, in arrival order. */
  readonly #queue = new Set<string>();
  readonly #writing = new Set<string>();
  readonly #idle: (() => void)[] = [];
  #active = false;

  constructor(options: GpuMilliAdvertiserOptions) {
    this.#o = options;
  }

  /** Every node event (initial list, add, update): notes whether the node needs a write. */
  nodeSeen(node: NodeShape): void {
    const name = node.metadata?.name;
    if (name === undefined || name === '') return;
    const wanted = wantedGpuMilli(node);
    if (wanted === undefined || advertises(node, wanted)) {
      this.#differing.delete(name);
      return;
    }
    this.#differing.set(name, wanted);
    if (!this.#writing.has(name)) this.#enqueue(name);
  }

  nodeDeleted(name: string): void {
    this.#differing.delete(name);
    this.#queue.delete(name);
  }

  /** Leading: write every node known to differ, and each that comes to differ from now on. */
  start(): void {
    this.#active = true;
    for (const name of this.#differing.keys()) if (!this.#writing.has(name)) this.#queue.add(name);
    this.#pump();
  }

  /** Not leading: no new writes; a write in flight finishes. */
  stop(): void {
    this.#active = false;
    this.#queue.clear();
    this.#settleIfIdle();
  }

  /** Nodes currently known to differ (for tests and logs). */
  pending(): number {
    return this.#differing.size;
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      this.#settleIfIdle();
    });
  }

  #enqueue(name: string): void {
    if (!this.#active) return;
    this.#queue.add(name);
    this.#pump();
  }

  #pump(): void {
    const limit = Math.max(1, this.#o.concurrency ?? 4);
    while (this.#active && this.#writing.size < limit) {
      const next = this.#queue.values().next();
      if (next.done === true) break;
      const name = next.value;
      this.#queue.delete(name);
      this.#writing.add(name);
      void this.#write(name).finally(() => {
        this.#writing.delete(name);
        this.#pump();
        this.#settleIfIdle();
      });
    }
  }

  /** Writes until the node advertises what it should, the attempts run out, or leadership ends. */
  async #write(name: string): Promise<void> {
    while (this.#active) {
      const wanted = this.#differing.get(name);
      if (wanted === undefined) return;
      let gone = false;
      const result = await retryWithBackoff(() => this.#patch(name, wanted), {
        attempts: this.#o.attempts ?? 5,
        initialDelayMs: this.#o.initialDelayMs ?? 500,
        maxDelayMs: MAX_DELAY_MS,
        ...(this.#o.sleep ? { sleep: this.#o.sleep } : {}),
        stillWanted: () => this.#active,
        onFailure: (err, attempt) => {
          this.#o.onFailed?.();
          gone = httpStatusOf(err) === 404;
          if (gone) return 'stop';
          this.#o.logger.warn(
            { node: name, attempt, err: describeError(err) },
            'node gpu-milli capacity write failed',
          );
          return undefined;
        },
      });
      if (!result.ok) {
        if (gone) this.#differing.delete(name);
        else if ('error' in result) {
          this.#o.logger.error(
            { node: name, gpuMilli: wanted },
            'node gpu-milli capacity not advertised; retried on the next node event',
          );
        }
        return;
      }
      this.#o.onWritten?.();
      this.#o.logger.info({ node: name, gpuMilli: wanted }, 'node gpu-milli capacity advertised');
      // A newer value that came in meanwhile is written on the next turn of the loop.
      if (this.#differing.get(name) === wanted) this.#differing.delete(name);
    }
  }

  async #patch(name: string, milli: AdvertisedMilli): Promise<void> {
    const value = milli === null ? null : String(milli);
    const body = {
      status: { capacity: { [Resource.gpuMilli]: value }, allocatable: { [Resource.gpuMilli]: value } },
    };
    await withTimeout(
      this.#o.api.patchNodeStatus({ name, body }, merge),
      this.#o.requestTimeoutMs ?? 10_000,
      `advertise gpu-milli on node ${name}`,
    );
  }

  #settleIfIdle(): void {
    if (this.#writing.size > 0 || (this.#active && this.#queue.size > 0)) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
