// An in-memory API resource with list + watch, for driving SupervisedInformer through failures.
import type { ListResult, WatchEventType, WatchHandle, WatchSource } from '../../src/kube/watch-source.js';

export interface FakeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
  value?: string;
}

type Watcher = { onEvent: (type: WatchEventType, obj: unknown) => void; onDone: (err: unknown) => void };

export class FakeWatchSource implements WatchSource<FakeObject> {
  readonly objects = new Map<string, FakeObject>();
  /** Errors thrown by the next list calls, in order. */
  readonly listFailures: Error[] = [];
  /** Errors the next watch calls end with at once, in order. */
  readonly watchFailures: Error[] = [];
  lists = 0;
  watches = 0;
  maxConcurrentWatches = 0;
  lastWatchFrom = '';
  #version = 100;
  #active = new Set<Watcher>();

  list(): Promise<ListResult<FakeObject>> {
    this.lists += 1;
    const failure = this.listFailures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    return Promise.resolve({ items: [...this.objects.values()], resourceVersion: String(this.#version) });
  }

  watch(
    resourceVersion: string,
    onEvent: Watcher['onEvent'],
    onDone: Watcher['onDone'],
  ): Promise<WatchHandle> {
    this.watches += 1;
    this.lastWatchFrom = resourceVersion;
    const failure = this.watchFailures.shift();
    if (failure !== undefined) {
      onDone(failure);
      return Promise.resolve({ abort: () => undefined });
    }
    const watcher: Watcher = { onEvent, onDone };
    this.#active.add(watcher);
    this.maxConcurrentWatches = Math.max(this.maxConcurrentWatches, this.#active.size);
    return Promise.resolve({ abort: () => this.#active.delete(watcher) });
  }

  get activeWatches(): number {
    return this.#active.size;
  }

  /** Changes an object; `announce: false` models a change made while no watch was connected. */
  put(name: string, value: string, announce = true): FakeObject {
    const existed = this.objects.has(name);
    this.#version += 1;
    const obj: FakeObject = {
      metadata: { name, namespace: 'ns', resourceVersion: String(this.#version) },
      value,
    };
    this.objects.set(name, obj);
    if (announce) this.#emit(existed ? 'MODIFIED' : 'ADDED', obj);
    return obj;
  }

  remove(name: string, announce = true): void {
    const obj = this.objects.get(name);
    if (obj === undefined) return;
    this.objects.delete(name);
    this.#version += 1;
    if (announce)
      this.#emit('DELETED', {
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: String(this.#version) },
      });
  }

  emitRaw(type: WatchEventType, obj: unknown): void {
    this.#emit(type, obj);
  }

  /** Ends every open watch with `err` (null: a clean close). */
  closeWatches(err: unknown): void {
    for (const w of [...this.#active]) {
      this.#active.delete(w);
      w.onDone(err);
    }
  }

  #emit(type: WatchEventType, obj: unknown): void {
    for (const w of [...this.#active]) w.onEvent(type, obj);
  }
}
