// A pure policy's best placement per (pod type, group slot), kept while the slot holds the same
// group and the policy's version() does not change. Flat typed arrays per pod type: scoring walks
// every slot for every pod, and reading a Float64Array in order is far cheaper than a hash lookup
// per group (the walk was over half of a replay's time when each group kept a Map).
import type { GroupScore } from './sim-cluster.js';

export interface TypeSlots {
  version: number;
  /** The slot generation each cached entry was computed for; 0 = nothing cached. */
  readonly generation: Uint32Array;
  /** The entry's score; -Infinity when the pod type does not fit the group. */
  readonly score: Float64Array;
  readonly entry: (GroupScore | undefined)[];
}

export class SlotScores {
  private readonly byType: (TypeSlots | undefined)[] = [];
  private readonly slots: number;

  constructor(slots: number) {
    this.slots = slots;
  }

  /** The cache of one pod type, emptied when the policy's version moved on. */
  forType(typeId: number, version: number): TypeSlots {
    let cache = this.byType[typeId];
    if (cache === undefined) {
      cache = {
        version,
        generation: new Uint32Array(this.slots),
        score: new Float64Array(this.slots),
        entry: new Array<GroupScore | undefined>(this.slots).fill(undefined),
      };
      this.byType[typeId] = cache;
    } else if (cache.version !== version) {
      cache.version = version;
      cache.generation.fill(0);
    }
    return cache;
  }
}
