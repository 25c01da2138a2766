// The seeded sequence of LWS-shaped gangs every configuration receives: leader + workers, each member
// asking the same whole GPUs, sizes drawn so that most gangs fit one NVL72 clique (18 × 4 GPUs) and
// some need two. The sequence is cut when its demand reaches the fabric's capacity.

export interface GangSpec {
  readonly name: string;
  /** Members, the leader included. */
  readonly size: number;
  readonly gpusPerMember: number;
  /** Pool whose nodes the gang selects (`--pools`); undefined: the whole fabric. */
  readonly pool?: string;
}

/** Member counts and their weights; × 4 GPUs: 8 to 96 GPUs. */
const SIZES: readonly (readonly [number, number])[] = [
  [2, 3],
  [4, 4],
  [6, 3],
  [9, 3],
  [12, 2],
  [18, 2],
  [24, 1],
];

/** mulberry32: a small seeded generator, so the sequence is the same in every run and configuration. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gangSequence(seed: number, capacityGpus: number, gpusPerMember = 4): GangSpec[] {
  const random = seededRandom(seed);
  const total = SIZES.reduce((s, [, w]) => s + w, 0);
  const gangs: GangSpec[] = [];
  let demand = 0;
  while (demand < capacityGpus) {
    let pick = random() * total;
    const size = SIZES.find(([, w]) => (pick -= w) < 0)?.[0] ?? 2;
    gangs.push({ name: `g${String(gangs.length).padStart(3, '0')}`, size, gpusPerMember });
    demand += size * gpusPerMember;
  }
  return gangs;
}
