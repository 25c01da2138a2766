// Random sequences of node changes and reserve/commit/release/expire through ClusterState; after each
// step every domain summary must equal a from-scratch recomputation written here, independently.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/core/cluster-state.js';
import { NodeLabel } from '../../src/core/names.js';
import type { NodeInventory } from '../../src/core/types.js';
import { GIB, generateFabric, nodeInventory } from '../../testbed/gpu-fabric.js';
import { assignmentArbitrary, lifecycleOps, type LifecycleOp } from '../support/ledger-arbitraries.js';

const LEVELS = [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone];
const NODES = ['n0', 'n1', 'n2', 'n3'];
const UIDS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];

interface Expected {
  nodeCount: number;
  freeWholeDevices: number;
  freeMilli: number;
  nodesByFreeWhole: number[];
  deviceBuckets: number[];
}

/** Recomputes every level's summaries from node states and labels. */
function recompute(
  state: ClusterState,
  inventories: Map<string, NodeInventory>,
): Map<string, Map<string, Expected>> {
  const out = new Map<string, Map<string, Expected>>();
  for (const level of ['node', ...LEVELS]) {
    const domains = new Map<string, Expected>();
    for (const [name, inv] of inventories) {
      const domain = level === 'node' ? name : (inv.labels[level] ?? `~node:${name}`);
      let e = domains.get(domain);
      if (e === undefined) {
        e = {
          nodeCount: 0,
          freeWholeDevices: 0,
          freeMilli: 0,
          nodesByFreeWhole: [],
          deviceBuckets: new Array<number>(11).fill(0),
        };
        domains.set(domain, e);
      }
      e.nodeCount += 1;
      let freeWhole = 0;
      for (const d of inv.unschedulable ? [] : (state.nodeState(name)?.devices ?? [])) {
        const free = d.mode === 'whole' ? 0 : 1000 - d.usedMilli;
        if (d.mode === 'free') freeWhole += 1;
        e.freeMilli += free;
        const bucket = Math.floor(free / 100);
        e.deviceBuckets[bucket] = (e.deviceBuckets[bucket] ?? 0) + 1;
      }
      e.freeWholeDevices += freeWhole;
      while (e.nodesByFreeWhole.length <= freeWhole) e.nodesByFreeWhole.push(0);
      e.nodesByFreeWhole[freeWhole] = (e.nodesByFreeWhole[freeWhole] ?? 0) + 1;
    }
    out.set(level, domains);
  }
  return out;
}

/** Schedulable GPUs per model, counted here from the inventories applied. */
function recountCapacity(inventories: Map<string, NodeInventory>): Map<string, number> {
  const gpus = new Map<string, number>();
  for (const inv of inventories.values())
    if (!inv.unschedulable && inv.devices.length > 0)
      gpus.set(inv.model, (gpus.get(inv.model) ?? 0) + inv.devices.length);
  return gpus;
}

function checkSummaries(state: ClusterState, inventories: Map<string, NodeInventory>): void {
  const capacity = recountCapacity(inventories);
  if (!isDeepStrictEqual(new Map(state.gpusByModel()), capacity))
    expect(new Map(state.gpusByModel())).toEqual(capacity);
  for (const [level, domains] of recompute(state, inventories)) {
    const got = new Map([...state.graph.summaries(level)].map(([d, s]) => [d, s.toJSON()]));
    if (!isDeepStrictEqual(got, domains)) expect(got).toEqual(domains);
    for (const [domain, e] of domains) {
      const members = [...inventories.values()]
        .filter((inv) => state.graph.domainOf(inv.name, level) === domain)
        .map((inv) => inv.name);
      const s = state.graph.summary(level, domain);
      const k = 1 + (members.length % 4);
      const atLeastK = e.nodesByFreeWhole.slice(k).reduce((a, b) => a + b, 0);
      if (s?.nodesWithFreeWhole(k) !== atLeastK) expect(s?.nodesWithFreeWhole(k)).toBe(atLeastK);
      if (!isDeepStrictEqual([...state.graph.nodesIn(level, domain)].sort(), members.sort())) {
        expect([...state.graph.nodesIn(level, domain)].sort()).toEqual(members.sort());
      }
    }
  }
}

const labelValue = (values: string[]): fc.Arbitrary<string | undefined> =>
  fc.constantFrom(undefined, ...values);
const inventoryArb = fc
  .record({
    name: fc.constantFrom(...NODES),
    gpus: fc.integer({ min: 0, max: 4 }),
    clique: labelValue(['c0', 'c1']),
    leaf: labelValue(['l0', 'l1']),
    zone: labelValue(['z0']),
    unschedulable: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    model: fc.constantFrom('A100', 'T4', ''),
  })
  .map(({ name, gpus, clique, leaf, zone, unschedulable, model }) => {
    const labels: Record<string, string> = {};
    if (clique !== undefined) labels[NodeLabel.clique] = clique;
    if (leaf !== undefined) labels[NodeLabel.leaf] = leaf;
    if (zone !== undefined) labels[NodeLabel.zone] = zone;
    return nodeInventory(name, gpus, { memoryBytes: 16 * GIB, labels, unschedulable, model });
  });

const assignmentArb = assignmentArbitrary({
  nodes: NODES,
  maxWholeDevices: 3,
  millis: [50, 250, 500, 950],
  memGiBs: [1],
});

type Op = { op: 'apply'; inv: NodeInventory } | { op: 'delete'; name: string } | LifecycleOp;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: inventoryArb.map((inv) => ({ op: 'apply' as const, inv })) },
  { weight: 1, arbitrary: fc.constantFrom(...NODES).map((name) => ({ op: 'delete' as const, name })) },
  ...lifecycleOps(UIDS, assignmentArb),
);

function run(state: ClusterState, inventories: Map<string, NodeInventory>, op: Op): void {
  switch (op.op) {
    case 'apply':
      inventories.set(op.inv.name, op.inv);
      state.applyNode(op.inv);
      return;
    case 'delete':
      inventories.delete(op.name);
      state.deleteNode(op.name);
      return;
    case 'reserve':
      state.reserve(op.uid, op.a, op.expiresAt);
      return;
    case 'commit':
      state.commit(op.uid, op.a);
      return;
    case 'release':
      state.release(op.uid);
      return;
    case 'expire':
      state.expire(op.now);
      return;
  }
}

describe('ClusterState + TopologyGraph properties', () => {
  it('keeps every domain summary and the GPUs per model equal to a recomputation after each step (1000 sequences)', () => {
    let placedSomething = 0;
    fc.assert(
      fc.property(
        fc.array(inventoryArb, { minLength: 2, maxLength: 4 }),
        fc.array(opArb, { maxLength: 40 }),
        (nodes, ops) => {
          const state = new ClusterState({ levels: LEVELS });
          const inventories = new Map<string, NodeInventory>();
          let occupied = false;
          for (const op of [...nodes.map((inv) => ({ op: 'apply' as const, inv })), ...ops]) {
            run(state, inventories, op);
            checkSummaries(state, inventories);
            if (state.totals().usedMilli > 0) occupied = true;
          }
          if (occupied) placedSomething += 1;
        },
      ),
      { numRuns: 1000 },
    );
    // The sequences must exercise occupied devices, or the check above proves little.
    expect(placedSomething).toBeGreaterThan(300);
  }, 60_000);

  it('restores from a partially occupied synthetic fabric with consistent summaries', () => {
    const fabric = generateFabric({
      zones: 2,
      leafsPerZone: 2,
      cliquesPerLeaf: 2,
      nodesPerClique: 4,
      gpusPerNode: 8,
      islandsPerNode: 2,
      occupancy: 0.5,
      missingCliqueEvery: 5,
      seed: 3,
    });
    const { state, rejected } = ClusterState.restore({ levels: LEVELS }, fabric.inventories, fabric.occupied);
    expect(rejected).toEqual([]);
    const inventories = new Map(fabric.inventories.map((inv) => [inv.name, inv]));
    checkSummaries(state, inventories);
    expect(state.graph.domains(NodeLabel.zone).sort()).toEqual(['zone-0', 'zone-1']);
    // 32 nodes × 8 GPUs, each device in use with probability 0.5: far from both 0 and 256 free.
    const zones = [...state.graph.summaries(NodeLabel.zone)].reduce((n, [, s]) => n + s.freeWholeDevices, 0);
    expect(zones).toBeGreaterThan(64);
    expect(zones).toBeLessThan(192);
  });
});
