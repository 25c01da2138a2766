// A supervised list+watch. client-node's ListWatch stops for good on most errors, resolves start()
// even when the list failed, and its stop()/start() can race an in-flight abort; so one loop here
// owns the whole cycle: list → watch from the list's resourceVersion → reconnect, re-listing with
// exponential backoff and jitter after errors, plus a watchdog that restarts a silent stream.
// Handlers never throw into the loop: failures are counted, logged and reported.
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Clock } from '../core/types.js';
import { describeError, httpStatusOf, withTimeout } from './api-errors.js';
import type { KubeLogger } from './kube-logger.js';
import type { KubeObject, WatchEventType, WatchSource } from './watch-source.js';

export interface InformerHandlers<T> {
  /** The first full list, as one batch (so the caller can rebuild at once). Later lists are diffed. */
  onInitialList(items: readonly T[]): void;
  onAdd(obj: T): void;
  onUpdate(obj: T, old: T): void;
  onDelete(obj: T): void;
}

/** Callbacks for metrics; src/kube does not know prom-client. */
export interface InformerHooks {
  onRestart?(resource: string, reason: string): void;
  onActivity?(resource: string, atMs: number): void;
  onStale?(resource: string, stale: boolean): void;
  onHandlerError?(resource: string): void;
}

export interface InformerOptions<T> {
  /** Short name for logs and metrics ("nodes", "pods"). */
  readonly resource: string;
  readonly source: WatchSource<T>;
  readonly handlers: InformerHandlers<T>;
  readonly logger: KubeLogger;
  readonly clock: Clock;
  readonly hooks?: InformerHooks;
  /** Restart the watch when nothing (event, bookmark, reconnect) arrived for this long. Default 5 min. */
  readonly stallMs?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Deadline for one list or watch-open call. Default 60 s. */
  readonly requestTimeoutMs?: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

type WatchEnd = { readonly err: unknown; readonly events: number; readonly openedAtMs: number };

export class SupervisedInformer<T extends KubeObject> {
  readonly resource: string;
  readonly #o: InformerOptions<T>;
  readonly #cache = new Map<string, T>();
  readonly #stop = new AbortController();
  #resourceVersion = '';
  #synced = false;
  #stale = true;
  /** When the view last became stale (watch lost, backing off, re-listing). */
  #staleSinceMs: number;
  #lastActivityMs: number;
  #handlerFailures = 0;
  #restarts = 0;
  #generation = 0;
  #current: { abort(reason: unknown): void } | undefined;
  #loop: Promise<void> | undefined;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(options: InformerOptions<T>) {
    this.#o = options;
    this.resource = options.resource;
    this.#lastActivityMs = options.clock.now();
    this.#staleSinceMs = this.#lastActivityMs;
  }

  start(): void {
    if (this.#loop !== undefined) return;
    this.#o.hooks?.onStale?.(this.resource, true);
    this.#loop = this.#run();
    const stallMs = this.#o.stallMs ?? 300_000;
    this.#watchdog = setInterval(() => this.checkStall(), Math.max(1_000, Math.min(stallMs / 4, 10_000)));
    this.#watchdog.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#watchdog);
    this.#stop.abort();
    this.#current?.abort(new Error('informer stopped'));
    await this.#loop;
  }

  /** True once the first full list was applied (a real resourceVersion was received). */
  isSynced(): boolean {
    return this.#synced;
  }

  isStale(): boolean {
    return this.#stale;
  }

  /**
   * True while the watch is open, or lost for less than `graceMs` (a routine reconnect). A replica
   * whose watch is down longer serves a view that may miss bindings and deletions: not ready.
   */
  isLive(graceMs: number): boolean {
    return !this.#stale || this.#o.clock.now() - this.#staleSinceMs < graceMs;
  }

  /** Milliseconds since the last list, event, bookmark or reconnect. */
  staleness(): number {
    return this.#o.clock.now() - this.#lastActivityMs;
  }

  handlerFailures(): number {
    return this.#handlerFailures;
  }

  restarts(): number {
    return this.#restarts;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(cacheKey(namespace, name));
  }

  list(): IterableIterator<T> {
    return this.#cache.values();
  }

  /** Restarts the stream (with a re-list) when it has been silent longer than the stall limit. */
  checkStall(): void {
    const stallMs = this.#o.stallMs ?? 300_000;
    if (this.#current === undefined || this.staleness() <= stallMs) return;
    this.#setStale(true);
    this.#current.abort(new Error(`no ${this.resource} events for ${this.staleness()} ms`));
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        if (this.#resourceVersion === '') await this.#relist();
        const end = await this.#watchOnce();
        if (this.#stop.signal.aborted) return;
        const reason = this.#reconnectReason(end);
        if (reason === undefined) {
          failures = 0;
          continue;
        }
        throw new Error(reason);
      } catch (err) {
        if (this.#stop.signal.aborted) return;
        failures += 1;
        this.#restarts += 1;
        this.#resourceVersion = '';
        this.#setStale(true);
        const delay = this.#backoff(failures);
        const reason = describeError(err);
        this.#o.logger.warn(
          { resource: this.resource, err: reason, retryInMs: delay },
          'informer restarting',
        );
        this.#o.hooks?.onRestart?.(this.resource, reason);
        try {
          await (this.#o.sleep ?? abortableSleep)(delay, this.#stop.signal);
        } catch {
          return;
        }
      }
    }
  }

  /** undefined: reconnect from the current resourceVersion at once; else why to back off and re-list. */
  #reconnectReason(end: WatchEnd): string | undefined {
    if (httpStatusOf(end.err) === 410) {
      this.#resourceVersion = '';
      return undefined;
    }
    const clientTimeout = end.err instanceof Error && end.err.name === 'TimeoutError';
    if (end.err !== null && end.err !== undefined && !clientTimeout) return describeError(end.err);
    // A stream that closes at once without events, repeatedly, must not become a tight loop.
    if (end.events === 0 && this.#o.clock.now() - end.openedAtMs < 1_000 && !clientTimeout) {
      return 'watch closed immediately';
    }
    return undefined;
  }

  async #relist(): Promise<void> {
    const timeoutMs = this.#o.requestTimeoutMs ?? 60_000;
    const listed = await withTimeout(this.#o.source.list(), timeoutMs, `list ${this.resource}`);
    if (listed.resourceVersion === '') throw new Error(`list ${this.resource} returned no resourceVersion`);
    const fresh = new Map<string, T>();
    for (const obj of listed.items) fresh.set(keyOf(obj), obj);
    if (!this.#synced) {
      for (const [key, obj] of fresh) this.#cache.set(key, obj);
      this.#call('initial list', () => this.#o.handlers.onInitialList(listed.items));
    } else {
      this.#applyDiff(fresh);
    }
    this.#resourceVersion = listed.resourceVersion;
    this.#synced = true;
    this.#touch();
    this.#setStale(false);
    this.#o.logger.info({ resource: this.resource, count: fresh.size }, 'listed');
  }

  /** After a re-list: objects gone while disconnected are deleted, changed ones updated. */
  #applyDiff(fresh: Map<string, T>): void {
    for (const [key, old] of [...this.#cache]) {
      if (!fresh.has(key)) {
        this.#cache.delete(key);
        this.#call('delete', () => this.#o.handlers.onDelete(old));
      }
    }
    for (const [key, obj] of fresh) this.#upsert(key, obj);
  }

  #upsert(key: string, obj: T): void {
    const old = this.#cache.get(key);
    this.#cache.set(key, obj);
    if (old === undefined) this.#call('add', () => this.#o.handlers.onAdd(obj));
    else if (
      old.metadata?.resourceVersion !== obj.metadata?.resourceVersion ||
      old.metadata?.resourceVersion === undefined
    ) {
      this.#call('update', () => this.#o.handlers.onUpdate(obj, old));
    }
  }

  #watchOnce(): Promise<WatchEnd> {
    const generation = ++this.#generation;
    const openedAtMs = this.#o.clock.now();
    let events = 0;
    return new Promise<WatchEnd>((resolve) => {
      let finished = false;
      const finish = (err: unknown): void => {
        if (finished) return;
        finished = true;
        this.#current = undefined;
        handle?.abort();
        resolve({ err, events, openedAtMs });
      };
      let handle: { abort(): void } | undefined;
      this.#current = { abort: finish };
      const onEvent = (type: WatchEventType, obj: unknown): void => {
        if (finished || generation !== this.#generation) return;
        events += 1;
        this.#onEvent(type, obj, finish);
      };
      const timeoutMs = this.#o.requestTimeoutMs ?? 60_000;
      const opening = this.#o.source.watch(this.#resourceVersion, onEvent, finish);
      // A watch that opens after we gave up on it (or after a stop) is closed at once, never leaked.
      opening.then((opened) => {
        handle = opened;
        if (finished) opened.abort();
        else {
          this.#touch();
          this.#setStale(false);
        }
      }, finish);
      withTimeout(opening, timeoutMs, `watch ${this.resource}`).catch(finish);
    });
  }

  #onEvent(type: WatchEventType, obj: unknown, finish: (err: unknown) => void): void {
    this.#touch();
    if (type === 'ERROR') {
      const status = obj as { code?: number; message?: string };
      finish(Object.assign(new Error(status.message ?? 'watch error'), { code: status.code }));
      return;
    }
    const typed = obj as T;
    const version = typed.metadata?.resourceVersion;
    if (type === 'ADDED' || type === 'MODIFIED') this.#upsert(keyOf(typed), typed);
    else if (type === 'DELETED') {
      const key = keyOf(typed);
      const known = this.#cache.get(key);
      this.#cache.delete(key);
      if (known !== undefined) this.#call('delete', () => this.#o.handlers.onDelete(typed));
    }
    if (version !== undefined && version !== '') this.#resourceVersion = version;
  }

  #call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#handlerFailures += 1;
      this.#o.logger.error(
        { resource: this.resource, handler: what, err: describeError(err) },
        'informer handler failed',
      );
      this.#o.hooks?.onHandlerError?.(this.resource);
    }
  }

  #touch(): void {
    this.#lastActivityMs = this.#o.clock.now();
    this.#o.hooks?.onActivity?.(this.resource, this.#lastActivityMs);
  }

  #setStale(stale: boolean): void {
    if (this.#stale === stale) return;
    this.#stale = stale;
    if (stale) this.#staleSinceMs = this.#o.clock.now();
    this.#o.hooks?.onStale?.(this.resource, stale);
    if (stale) this.#o.logger.warn({ resource: this.resource }, 'view is stale');
    else this.#o.logger.info({ resource: this.resource }, 'view is current');
  }

  #backoff(failures: number): number {
    const initial = this.#o.initialBackoffMs ?? 500;
    const max = this.#o.maxBackoffMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
    // Full jitter on the upper half keeps replicas from re-listing in lockstep.
    return Math.round(base / 2 + (base / 2) * (this.#o.random ?? Math.random)());
  }
}

function cacheKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function keyOf(obj: KubeObject): string {
  return cacheKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
}

async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  await sleepFor(ms, undefined, { signal });
}
