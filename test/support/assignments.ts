// Device assignments and node states for ledger, topology, policy and preemption tests.
import { GpuLedger } from '../../src/core/ledger/gpu-ledger.js';
import type { Assignment, NodeGpuState, NodeInventory } from '../../src/core/types.js';

/** Whole devices `indices` of `node`. */
export const whole = (node: string, ...indices: number[]): Assignment => ({
  node,
  whole: true,
  devices: indices.map((index) => ({ index, milli: 1000, memoryBytes: 0 })),
});

/** `milli` (and `memoryBytes`) of device `index` of `node`. */
export const share = (node: string, index: number, milli: number, memoryBytes = 0): Assignment => ({
  node,
  whole: false,
  devices: [{ index, milli, memoryBytes }],
});

/** The node's state after the given holdings (committed as h0, h1, …) through the real ledger. */
export function stateOf(inv: NodeInventory, ...held: Assignment[]): NodeGpuState {
  const ledger = new GpuLedger();
  ledger.upsertNode(inv);
  held.forEach((a, i) => {
    const result = ledger.commit(`h${i}`, a);
    if (!result.ok) throw new Error(`holding h${i} refused: ${result.reason}`);
  });
  const state = ledger.nodeState(inv.name);
  if (state === undefined) throw new Error('node missing');
  return state;
}
