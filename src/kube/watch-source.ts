// Where a supervised informer gets its objects: a paged list plus a watch from a resourceVersion.
// The production source uses client-node's Watch (auth, shared dispatcher, inactivity timeout) and a
// typed list call; tests implement the same interface in memory.
import { Watch, type KubeConfig } from '@kubernetes/client-node';

/** The minimum every listed/watched object has. */
export interface KubeObject {
  readonly metadata?: {
    readonly name?: string | undefined;
    readonly namespace?: string | undefined;
    readonly uid?: string | undefined;
    readonly resourceVersion?: string | undefined;
  };
}

export interface ListPage<T> {
  readonly items: readonly T[];
  readonly metadata?: {
    readonly resourceVersion?: string | undefined;
    readonly _continue?: string | undefined;
  };
}

export interface ListResult<T> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** A watch event type as the API server sends it. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  abort(): void;
}

export interface WatchSource<T> {
  list(): Promise<ListResult<T>>;
  /**
   * Watches from `resourceVersion`. `onEvent` gets each event; `onDone` is called exactly once when
   * the stream ends (null: closed cleanly or by the client's inactivity timeout; else the error).
   * Resolves once the stream is open (or has already failed and called onDone).
   */
  watch(
    resourceVersion: string,
    onEvent: (type: WatchEventType, obj: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface Selectors {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

const PAGE_SIZE = 500;

/**
 * A source over the API server. `listPage` is a typed list call (e.g. core.listNode) given the
 * selectors and a continue token; pages are joined so large clusters list in bounded requests.
 */
export function apiWatchSource<T>(
  kc: KubeConfig,
  path: string,
  listPage: (args: Selectors & { limit: number; _continue?: string }) => Promise<ListPage<T>>,
  selectors: Selectors = {},
): WatchSource<T> {
  const watcher = new Watch(kc);
  return {
    async list() {
      const items: T[] = [];
      let resourceVersion: string;
      let token: string | undefined;
      do {
        const page = await listPage({
          ...selectors,
          limit: PAGE_SIZE,
          ...(token ? { _continue: token } : {}),
        });
        items.push(...page.items);
        resourceVersion = page.metadata?.resourceVersion ?? '';
        token = page.metadata?._continue || undefined;
      } while (token !== undefined);
      return { items, resourceVersion };
    },
    async watch(resourceVersion, onEvent, onDone) {
      const query = { resourceVersion, allowWatchBookmarks: true, ...selectors };
      const controller = await watcher.watch(
        path,
        query,
        (type: string, obj: unknown) => {
          onEvent(type as WatchEventType, obj);
        },
        onDone,
      );
      return { abort: () => controller.abort() };
    },
  };
}
