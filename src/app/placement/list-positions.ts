// A node's position in a node list, for patching a result over the list at the nodes that changed
// (node-list-memo.ts). A list's map is built once per list array. A filter's feasible list, its
// request's list without the rejected positions, is answered from that list's map instead of one of
// its own: the second pod of every new shape would otherwise build a map of thousands of names for
// its prioritize list (1.2 ms of its 1.9 at 4896 nodes).

export interface ListPositions {
  /** Whether every name appears once: a list naming a node twice is not patched. */
  readonly unique: boolean;
  /** The name's position in the list, or undefined when it is not listed. */
  of(name: string): number | undefined;
}

class MappedPositions implements ListPositions {
  readonly unique: boolean;
  readonly #at = new Map<string, number>();

  constructor(names: readonly string[]) {
    for (let i = 0; i < names.length; i++) this.#at.set(names[i]!, i);
    this.unique = this.#at.size === names.length;
  }

  of(name: string): number | undefined {
    return this.#at.get(name);
  }
}

class SublistPositions implements ListPositions {
  readonly #parent: readonly string[];
  readonly #skipped: readonly number[];

  /** `skipped`: the positions of `parent` left out, ascending. */
  constructor(parent: readonly string[], skipped: readonly number[]) {
    this.#parent = parent;
    this.#skipped = skipped;
  }

  get unique(): boolean {
    return listPositions(this.#parent).unique;
  }

  of(name: string): number | undefined {
    const inParent = listPositions(this.#parent).of(name);
    if (inParent === undefined) return undefined;
    const skipped = this.#skipped;
    // The number of skipped positions below inParent (binary search).
    let low = 0;
    let high = skipped.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (skipped[mid]! < inParent) low = mid + 1;
      else high = mid;
    }
    return skipped[low] === inParent ? undefined : inParent - low;
  }
}

const byList = new WeakMap<readonly string[], ListPositions>();

/** The positions of `names` (built when first asked for, kept while the array lives). */
export function listPositions(names: readonly string[]): ListPositions {
  let positions = byList.get(names);
  if (positions === undefined) byList.set(names, (positions = new MappedPositions(names)));
  return positions;
}

/**
 * Notes that `sublist` is `parent` without the positions in `skipped` (ascending), so its positions
 * are read from the parent's. A list already known keeps what it has.
 */
export function noteSublist(
  sublist: readonly string[],
  parent: readonly string[],
  skipped: readonly number[],
): void {
  if (!byList.has(sublist)) byList.set(sublist, new SublistPositions(parent, skipped));
}
