// The nodes a filter outcome rejected, by position in its node list, with each one's cause: two
// pushes per rejected node while filtering (a map by name would hash every one), and enough to
// bring the outcome up to date when a few nodes change, without asking the other nodes again.

export interface RejectedPositions {
  /** Ascending positions in the outcome's node list. */
  readonly positions: readonly number[];
  /** The rejection cause of each position, aligned. */
  readonly causes: readonly string[];
}

/** The cause the node at `at` was rejected for, or undefined if it fit. */
export function causeAt(rejected: RejectedPositions, at: number): string | undefined {
  let low = 0;
  let high = rejected.positions.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const position = rejected.positions[mid]!;
    if (position === at) return rejected.causes[mid];
    if (position < at) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}

/**
 * `rejected` with new verdicts at some positions (undefined: the node fits now). A merge of the
 * ascending positions with the few verdicts, sorted: runs after binds, over every rejected node.
 */
export function withVerdicts(
  rejected: RejectedPositions,
  verdicts: ReadonlyMap<number, string | undefined>,
): RejectedPositions {
  const changed = [...verdicts.keys()].sort((a, b) => a - b);
  const positions: number[] = [];
  const causes: string[] = [];
  const add = (at: number, cause: string | undefined): void => {
    if (cause === undefined) return;
    positions.push(at);
    causes.push(cause);
  };
  let c = 0;
  for (let i = 0; i < rejected.positions.length; i++) {
    const at = rejected.positions[i]!;
    while (c < changed.length && changed[c]! < at) add(changed[c]!, verdicts.get(changed[c++]!));
    if (c < changed.length && changed[c] === at) add(at, verdicts.get(changed[c++]!));
    else add(at, rejected.causes[i]);
  }
  while (c < changed.length) add(changed[c]!, verdicts.get(changed[c++]!));
  return { positions, causes };
}

/** The names at every position `rejected` does not hold, in list order. */
export function feasibleNames(names: readonly string[], rejected: RejectedPositions): string[] {
  // Sized once: growing by push allocated about twice the list per bind at 4896 nodes.
  const feasible = new Array<string>(names.length - rejected.positions.length);
  let next = 0;
  let out = 0;
  for (let i = 0; i < names.length; i++) {
    if (rejected.positions[next] === i) next++;
    else feasible[out++] = names[i]!;
  }
  return feasible;
}

/** Rejected nodes per cause. */
export function countCauses(rejected: RejectedPositions): Map<string, number> {
  const counts = new Map<string, number>();
  const { causes } = rejected;
  for (let i = 0; i < causes.length; i++) counts.set(causes[i]!, (counts.get(causes[i]!) ?? 0) + 1);
  return counts;
}
