// A filter's feasible list inherits its slots from the request's list (keepSublistSlots): they must be
// the slots a lookup of each of its names would give, whatever positions were left out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeClasses } from '../../../src/app/placement/node-classes.js';
import { NodeSlots } from '../../../src/app/placement/node-slots.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';

const KNOWN = Array.from({ length: 12 }, (_, i) => `n${i}`);

function slotsOver(known: readonly string[]): NodeSlots {
  const state = new ClusterState();
  for (const name of known) state.applyNode(nodeInventory(name, 2));
  return new NodeSlots(state, new NodeClasses());
}

describe('NodeSlots.keepSublistSlots', () => {
  it('gives a sublist the slots of its own names, unknown names included (-1)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...KNOWN, 'x0', 'x1', 'x2'), { maxLength: 15 }),
        fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }),
        (names, keep) => {
          const slots = slotsOver(KNOWN);
          const all = slots.slotsOf(names);
          const skipped = names.flatMap((_, i) => (keep[i] ? [] : [i]));
          const sublist = names.filter((_, i) => keep[i]);
          const expected = sublist.map((name) => slots.slotOf(name));
          // What a slot is, independently of how it was found: -1 for a name the cluster does not
          // hold, a distinct non-negative slot for each node it does.
          const known = sublist.filter((name) => KNOWN.includes(name));
          expect(expected.filter((slot) => slot === -1)).toHaveLength(sublist.length - known.length);
          expect(new Set(expected.filter((slot) => slot >= 0)).size).toBe(known.length);
          slots.keepSublistSlots(sublist, names, skipped);
          expect([...slots.slotsOf(sublist)]).toEqual(expected);
          // The slots were taken from the parent's, not looked up: a stand-in array of unknown names
          // (a lookup would give -1 each) kept the same way reads the parent's slots too.
          const standIn = sublist.map(() => 'unknown');
          slots.keepSublistSlots(standIn, names, skipped);
          expect([...slots.slotsOf(standIn)]).toEqual(sublist.map((name) => all[names.indexOf(name)]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps nothing for positions that do not describe the sublist (they are looked up instead)', () => {
    const slots = slotsOver(KNOWN);
    const names = ['n0', 'n1', 'n2', 'n3'];
    slots.slotsOf(names);
    const sublist = ['n1', 'n3'];
    // Descending, past the end, and too few skipped: none of these may be taken as the sublist's.
    for (const skipped of [[2, 0], [0, 2, 9], [0]]) slots.keepSublistSlots(sublist, names, skipped);
    expect([...slots.slotsOf(sublist)]).toEqual([slots.slotOf('n1'), slots.slotOf('n3')]);
  });
});
