// A verb's last answer over a whole node list, reused while nothing changed: kube-scheduler sends the
// same list for pod after pod.
import { LRUCache } from 'lru-cache';
import { listPositions } from './list-positions.js';
import { MAX_KEYS } from './placement.js';

/**
 * Node names the NodeListMemo keeps across all its entries (each entry holds its request's list):
 * enough for every key over a 15 000-node cluster's lists many times over, yet bounded whatever
 * requests send. Least recently used entries go first.
 */
const MEMO_MAX_NAMES = 1_000_000;

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What the memo needs of the placement cache: a count that moves whenever any node changed, and which nodes did. */
interface ChangeCounter {
  generation(): number;
  changedSince(generation: number): readonly string[] | undefined;
}

/**
 * Brings an earlier result up to date after a few nodes changed: the same value when those changes
 * leave it as it was, a value patched at those nodes, or undefined to have it computed afresh.
 * `positionOf` gives a node's index in the request's list (undefined: not listed, its change does
 * not matter here). `listed` is the list `previous` was computed over: the request's names in the
 * same order, but possibly another array (a request parsed afresh), one whose slots and positions
 * are already known.
 */
export type Refresh<T> = (
  previous: T,
  changed: readonly string[],
  positionOf: (node: string) => number | undefined,
  listed: readonly string[],
) => T | undefined;

interface MemoEntry<T> {
  readonly table: object;
  readonly generation: number;
  readonly names: readonly string[];
  readonly value: T;
}

/**
 * A verb's last result per key (demand shape, or policy + shape) over a whole node list.
 * kube-scheduler asks again over the same list for every pod; while no node changed and the key's
 * cache table is the same one (same policy version), the answer is the same, so it costs one string
 * comparison per node instead of a hashed lookup plus a new result. After a bind, a caller's refresh
 * brings it up to date at the changed nodes. Values are shared: callers must not mutate them.
 */
export class NodeListMemo<T> {
  readonly #cache: ChangeCounter;
  /** Bounded by entries and by the node names they hold (a request's list can be long). */
  readonly #entries = new LRUCache<string, MemoEntry<T>>({
    max: MAX_KEYS,
    maxSize: MEMO_MAX_NAMES,
    sizeCalculation: (entry) => entry.names.length + 1,
  });

  constructor(cache: ChangeCounter) {
    this.#cache = cache;
  }

  /** Entries held and the node names they keep, for tests and status pages. */
  size(): { readonly entries: number; readonly names: number } {
    return { entries: this.#entries.size, names: this.#entries.calculatedSize };
  }

  /** The entry's value brought up to date by `refresh`, if the changes since it are still logged. */
  #refreshed(entry: MemoEntry<T>, refresh: Refresh<T>): T | undefined {
    const changed = this.#cache.changedSince(entry.generation);
    if (changed === undefined) return undefined;
    const at = listPositions(entry.names);
    if (!at.unique) return undefined;
    return refresh(entry.value, changed, (node) => at.of(node), entry.names);
  }

  /**
   * The result for `names`: the last one while no node changed; with `refresh`, the last one brought
   * up to date when only a few nodes changed since; else `compute()`.
   */
  get(key: string, table: object, names: readonly string[], compute: () => T, refresh?: Refresh<T>): T {
    const generation = this.#cache.generation();
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.table === table && sameNames(entry.names, names)) {
      if (entry.generation === generation) return entry.value;
      const value = refresh && this.#refreshed(entry, refresh);
      if (value !== undefined) {
        this.#entries.set(key, { ...entry, generation, value });
        return value;
      }
    }
    const value = compute();
    // A list longer than the whole budget is not kept (lru-cache refuses it): computed each time.
    if (names.length + 1 <= MEMO_MAX_NAMES) this.#entries.set(key, { table, generation, names, value });
    else this.#entries.delete(key);
    return value;
  }
}
