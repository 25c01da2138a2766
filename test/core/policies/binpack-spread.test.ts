import { describe, expect, it } from 'vitest';
import { createBinpackPolicy, deviceFillAfter, nodeFillAfter } from '../../../src/core/policies/binpack.js';
import type { Candidate } from '../../../src/core/policies/policy.js';
import { createSpreadPolicy } from '../../../src/core/policies/spread.js';
import type { Assignment, NodeGpuState, PodDemand } from '../../../src/core/types.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, stateOf, whole } from '../../support/assignments.js';

const fraction: PodDemand = { gpu: { kind: 'fraction', milli: 250 }, topology: {} };
const two: PodDemand = { gpu: { kind: 'whole', count: 2 }, topology: {} };
const cand = (node: NodeGpuState, assignment: Assignment, demand: PodDemand): Candidate => ({
  node,
  assignment,
  demand,
});

describe('fill measures', () => {
  it('node fill counts whole devices as full and adds the placement', () => {
    const node = stateOf(nodeInventory('a', 4), whole('a', 0), share('a', 1, 500));
    expect(nodeFillAfter(cand(node, share('a', 1, 250), fraction))).toBe(1750 / 4000);
  });

  it('device fill of a share is how full its device becomes', () => {
    const node = stateOf(nodeInventory('a', 2), share('a', 0, 500));
    expect(deviceFillAfter(cand(node, share('a', 0, 250), fraction))).toBe(0.75);
    expect(deviceFillAfter(cand(node, share('a', 1, 250), fraction))).toBe(0.25);
  });

  it('device fill of whole devices is how full the touched NVLink islands become', () => {
    const node = stateOf(
      nodeInventory('a', 8, {
        islands: [
          [0, 1, 2, 3],
          [4, 5, 6, 7],
        ],
      }),
      whole('a', 0, 1),
    );
    expect(deviceFillAfter(cand(node, whole('a', 2, 3), two))).toBe(1);
    expect(deviceFillAfter(cand(node, whole('a', 4, 5), two))).toBe(0.5);
  });
});

describe('binpack and spread', () => {
  const busy = stateOf(nodeInventory('busy', 4), whole('busy', 0, 1), share('busy', 2, 600));
  const idle = stateOf(nodeInventory('idle', 4));

  it('binpack prefers the fuller node and, on one node, the fuller device', () => {
    const binpack = createBinpackPolicy();
    expect(binpack.name).toBe('binpack');
    expect(binpack.score(cand(busy, share('busy', 3, 250), fraction))).toBeGreaterThan(
      binpack.score(cand(idle, share('idle', 0, 250), fraction)),
    );
    expect(binpack.score(cand(busy, share('busy', 2, 250), fraction))).toBeGreaterThan(
      binpack.score(cand(busy, share('busy', 3, 250), fraction)),
    );
  });

  it('spread prefers the emptier node and, on one node, the emptier device', () => {
    const spread = createSpreadPolicy();
    expect(spread.name).toBe('spread');
    expect(spread.score(cand(idle, share('idle', 0, 250), fraction))).toBeGreaterThan(
      spread.score(cand(busy, share('busy', 3, 250), fraction)),
    );
    expect(spread.score(cand(busy, share('busy', 3, 250), fraction))).toBeGreaterThan(
      spread.score(cand(busy, share('busy', 2, 250), fraction)),
    );
  });

  it('binpack keeps whole NVLink islands free for later pods', () => {
    const node = stateOf(
      nodeInventory('a', 8, {
        islands: [
          [0, 1, 2, 3],
          [4, 5, 6, 7],
        ],
      }),
      whole('a', 0, 1),
    );
    const binpack = createBinpackPolicy();
    expect(binpack.score(cand(node, whole('a', 2, 3), two))).toBeGreaterThan(
      binpack.score(cand(node, whole('a', 4, 5), two)),
    );
  });

  it('pods without GPU demand score 0 under both, so they do not steer CPU pods', () => {
    const none: PodDemand = { gpu: { kind: 'none' }, topology: {} };
    const empty: Assignment = { node: 'busy', whole: false, devices: [] };
    expect(createBinpackPolicy().score(cand(busy, empty, none))).toBe(0);
    expect(createSpreadPolicy().score(cand(busy, empty, none))).toBe(0);
  });
});
