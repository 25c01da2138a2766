import { describe, expect, it } from 'vitest';
import {
  candidateAssignments,
  distinctStateCandidates,
  explainNoFit,
  memoryShareMilli,
} from '../../../src/core/ledger/device-fit.js';
import { GpuLedger } from '../../../src/core/ledger/gpu-ledger.js';
import type { Assignment, GpuRequest, PodDemand } from '../../../src/core/types.js';
import { GIB, nodeInventory } from '../../../testbed/gpu-fabric.js';
import { share, stateOf, whole } from '../../support/assignments.js';

const demand = (gpu: GpuRequest, extra: Partial<PodDemand> = {}): PodDemand => ({
  gpu,
  topology: {},
  ...extra,
});

const indicesOf = (as: Assignment[]): number[][] => as.map((a) => a.devices.map((d) => d.index));

describe('candidateAssignments: fractions', () => {
  it('offers every device not given whole that has room', () => {
    const node = stateOf(nodeInventory('a', 4), share('a', 0, 800), whole('a', 1), share('a', 2, 500));
    expect(candidateAssignments(node, demand({ kind: 'fraction', milli: 500 }))).toEqual([
      share('a', 2, 500),
      share('a', 3, 500),
    ]);
  });

  it('checks memory when the fraction carries it and the device reports it', () => {
    const node = stateOf(nodeInventory('a', 2, { memoryBytes: 40 * GIB }), share('a', 0, 100, 35 * GIB));
    const got = candidateAssignments(node, demand({ kind: 'fraction', milli: 100, memoryBytes: 10 * GIB }));
    expect(got).toEqual([share('a', 1, 100, 10 * GIB)]);
  });

  it('derives the share of a memory-only request from each device memory, rounding up', () => {
    expect(memoryShareMilli(10 * GIB, 40 * GIB)).toBe(250);
    expect(memoryShareMilli(1, 40 * GIB)).toBe(1);
    expect(memoryShareMilli(10 * GIB, 0)).toBeUndefined();
    const node = stateOf(nodeInventory('a', 2, { memoryBytes: 30 * GIB }));
    expect(candidateAssignments(node, demand({ kind: 'memory', memoryBytes: 10 * GIB }))).toEqual([
      share('a', 0, 334, 10 * GIB),
      share('a', 1, 334, 10 * GIB),
    ]);
  });

  it('cannot place a memory-only request where device memory is unknown', () => {
    const node = stateOf(nodeInventory('a', 2, { memoryBytes: 0 }));
    expect(candidateAssignments(node, demand({ kind: 'memory', memoryBytes: GIB }))).toEqual([]);
    expect(explainNoFit(node, demand({ kind: 'memory', memoryBytes: GIB }))).toBe(
      'node a does not report GPU memory, pod asks for GPU memory',
    );
  });
});

describe('distinctStateCandidates', () => {
  it('keeps the first device of each state that takes the share, in device order', () => {
    const node = stateOf(
      nodeInventory('a', 8),
      share('a', 1, 500),
      share('a', 2, 250),
      share('a', 4, 500),
      whole('a', 5),
      share('a', 6, 250),
    );
    const half = demand({ kind: 'fraction', milli: 500 });
    // 0, 3, 7 free; 1, 4 half used; 2, 6 a quarter used; 5 whole.
    expect(indicesOf(distinctStateCandidates(node, half))).toEqual([[0], [1], [2]]);
    expect(indicesOf(candidateAssignments(node, half))).toEqual([[0], [1], [2], [3], [4], [6], [7]]);
    const most = demand({ kind: 'fraction', milli: 700 });
    expect(indicesOf(distinctStateCandidates(node, most))).toEqual([[0], [2]]);
  });

  it('tells devices apart by used and total memory too', () => {
    const node = stateOf(
      nodeInventory('a', 3, { memoryBytes: 40 * GIB }),
      share('a', 1, 250, 20 * GIB),
      share('a', 2, 250, 5 * GIB),
    );
    const got = distinctStateCandidates(
      node,
      demand({ kind: 'fraction', milli: 250, memoryBytes: 10 * GIB }),
    );
    expect(indicesOf(got)).toEqual([[0], [1], [2]]);
  });

  it('lists whole-device candidates as candidateAssignments does', () => {
    const node = stateOf(nodeInventory('a', 4), whole('a', 0));
    const two = demand({ kind: 'whole', count: 2 });
    expect(distinctStateCandidates(node, two)).toEqual(candidateAssignments(node, two));
  });
});

describe('candidateAssignments: whole devices and NVLink islands', () => {
  const islands = {
    islands: [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ],
  };

  it('returns one lowest-index set per island that fits, and only island-local sets', () => {
    const node = stateOf(nodeInventory('a', 8, islands), whole('a', 0));
    expect(indicesOf(candidateAssignments(node, demand({ kind: 'whole', count: 2 })))).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(indicesOf(candidateAssignments(node, demand({ kind: 'whole', count: 4 })))).toEqual([
      [4, 5, 6, 7],
    ]);
  });

  it('spans the fewest islands when no island fits alone', () => {
    const node = stateOf(nodeInventory('a', 8, islands), whole('a', 0, 1, 2), whole('a', 4));
    expect(indicesOf(candidateAssignments(node, demand({ kind: 'whole', count: 4 })))).toEqual([
      [3, 5, 6, 7],
    ]);
    expect(candidateAssignments(node, demand({ kind: 'whole', count: 5 }))).toEqual([]);
  });

  it('never offers a shared device whole', () => {
    const node = stateOf(nodeInventory('a', 2), share('a', 0, 1));
    expect(indicesOf(candidateAssignments(node, demand({ kind: 'whole', count: 1 })))).toEqual([[1]]);
  });

  it('every candidate is accepted by the ledger', () => {
    const inv = nodeInventory('a', 8, islands);
    const node = stateOf(inv, whole('a', 2), share('a', 5, 300));
    for (const gpu of [
      { kind: 'whole', count: 3 },
      { kind: 'fraction', milli: 700 },
      { kind: 'memory', memoryBytes: 20 * GIB },
    ] as const) {
      for (const a of candidateAssignments(node, demand(gpu))) {
        const ledger = new GpuLedger();
        ledger.upsertNode(inv);
        ledger.commit('h0', whole('a', 2));
        ledger.commit('h1', share('a', 5, 300));
        expect(ledger.reserve('p', a, 1)).toEqual({ ok: true });
      }
    }
  });
});

describe('candidateAssignments: node-level exclusions', () => {
  it('gives an empty assignment to pods without GPU demand', () => {
    expect(candidateAssignments(stateOf(nodeInventory('a', 0)), demand({ kind: 'none' }))).toEqual([
      { node: 'a', whole: false, devices: [] },
    ]);
  });

  it('offers nothing on cordoned nodes or nodes of another model', () => {
    const cordoned = stateOf(nodeInventory('a', 2, { unschedulable: true }));
    expect(candidateAssignments(cordoned, demand({ kind: 'whole', count: 1 }))).toEqual([]);
    expect(explainNoFit(cordoned, demand({ kind: 'whole', count: 1 }))).toBe('node a is cordoned');
    const a100 = stateOf(nodeInventory('b', 2, { model: 'A100' }));
    const wants = demand({ kind: 'whole', count: 1 }, { models: ['H100', 'H200'] });
    expect(candidateAssignments(a100, wants)).toEqual([]);
    expect(explainNoFit(a100, wants)).toBe('node b has GPU model A100, pod allows H100, H200');
  });
});

describe('explainNoFit', () => {
  it('is empty when the pod fits', () => {
    expect(explainNoFit(stateOf(nodeInventory('a', 1)), demand({ kind: 'whole', count: 1 }))).toBe('');
  });

  it.each([
    [
      'whole GPUs',
      [whole('a', 0)],
      { kind: 'whole', count: 2 },
      'pod needs 2 whole GPUs, node a has 1 free of 2',
    ],
    [
      'a fraction',
      [share('a', 0, 800), share('a', 1, 700)],
      { kind: 'fraction', milli: 500 },
      'device 1 on node a has the most free (300m), pod needs 500m',
    ],
    [
      'a fraction on whole-given devices',
      [whole('a', 0, 1)],
      { kind: 'fraction', milli: 100 },
      'every GPU on node a is given whole to other pods',
    ],
    [
      'fraction memory',
      [share('a', 0, 100, 30 * GIB), share('a', 1, 100, 30 * GIB)],
      { kind: 'fraction', milli: 100, memoryBytes: 20 * GIB },
      'no device on node a has both 100m and 20Gi of memory free (device 0 has 900m and 10Gi free)',
    ],
    [
      'memory only',
      [share('a', 0, 100, 30 * GIB), share('a', 1, 900, 5 * GIB)],
      { kind: 'memory', memoryBytes: 20 * GIB },
      'pod needs 20Gi of GPU memory; on node a device 1 has the most memory free (35Gi) and device 0 the most compute free (900m)',
    ],
  ] as const)('names the shortage for %s', (_what, held, gpu, reason) => {
    const node = stateOf(nodeInventory('a', 2, { memoryBytes: 40 * GIB }), ...held);
    expect(explainNoFit(node, demand(gpu))).toBe(reason);
  });

  it('says when a node has no GPUs', () => {
    expect(explainNoFit(stateOf(nodeInventory('a', 0)), demand({ kind: 'whole', count: 1 }))).toBe(
      'node a has no GPUs',
    );
  });
});
