import { describe, expect, it } from 'vitest';
import { FabricState, type FabricNodeInfo } from '../../../benchmarks/topology/fabric-state.js';

// Two racks; rack A: clique a1 (3 × 4 GPUs), clique a2 (2 × 8 GPUs); rack B: clique b1 (3 × 4 GPUs).
const nodes: FabricNodeInfo[] = [
  ...[0, 1, 2].map((i) => ({ name: `a1-${i}`, gpus: 4, clique: 'a1', rack: 'A' })),
  ...[0, 1].map((i) => ({ name: `a2-${i}`, gpus: 8, clique: 'a2', rack: 'A' })),
  ...[0, 1, 2].map((i) => ({ name: `b1-${i}`, gpus: 4, clique: 'b1', rack: 'B' })),
];

describe('FabricState', () => {
  it('counts member slots per clique and rack (a member needs its GPUs on one node)', () => {
    const s = new FabricState(nodes);
    expect(s.capacity).toBe(40);
    expect(Object.fromEntries(s.slotsBy('clique', 4))).toEqual({ a1: 3, a2: 4, b1: 3 });
    expect(Object.fromEntries(s.slotsBy('rack', 4))).toEqual({ A: 7, B: 3 });
    expect(Object.fromEntries(s.slotsBy('clique', 8))).toEqual({ a1: 0, a2: 2, b1: 0 });
  });

  it('says whether a gang fits one clique or one rack, and the fewest cliques', () => {
    const s = new FabricState(nodes);
    expect(s.possibilities(4, 4)).toEqual({ fitsClique: true, fitsRack: true, minCliques: 1 });
    expect(s.possibilities(6, 4)).toEqual({ fitsClique: false, fitsRack: true, minCliques: 2 });
    expect(s.possibilities(9, 4)).toEqual({ fitsClique: false, fitsRack: false, minCliques: 3 });
    expect(s.possibilities(11, 4).minCliques).toBeUndefined();
  });

  it('tracks what bound pods take', () => {
    const s = new FabricState(nodes);
    s.take('a2-0', 8);
    s.take('a2-1', 4);
    expect(s.allocatedFraction()).toBeCloseTo(12 / 40);
    expect(s.possibilities(4, 4)).toEqual({ fitsClique: false, fitsRack: true, minCliques: 2 });
  });
});
