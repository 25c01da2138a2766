import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { packMembers } from '../../../src/core/gang/domain-packing.js';
import { CLUSTER_LEVEL, planGang } from '../../../src/core/gang/gang-planner.js';
import type { NodeGpuState, PodDemand } from '../../../src/core/types.js';
import { generateFabric } from '../../../testbed/gpu-fabric.js';

const LEVELS = [
  'node',
  'nvidia.com/gpu.clique',
  'network.topology.nvidia.com/leaf',
  'topology.kubernetes.io/zone',
];

const scenario = fc.record({
  zones: fc.integer({ min: 1, max: 2 }),
  leafsPerZone: fc.integer({ min: 1, max: 2 }),
  cliquesPerLeaf: fc.integer({ min: 1, max: 2 }),
  nodesPerClique: fc.integer({ min: 1, max: 4 }),
  gpusPerNode: fc.constantFrom(2, 4, 8),
  islandsPerNode: fc.constantFrom(1, 2),
  occupancy: fc.double({ min: 0, max: 0.7, noNaN: true }),
  missingCliqueEvery: fc.integer({ min: 2, max: 12 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  size: fc.integer({ min: 1, max: 6 }),
  shapes: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('whole' as const), count: fc.integer({ min: 1, max: 8 }) }),
      fc.record({
        kind: fc.constant('fraction' as const),
        milli: fc.integer({ min: 1, max: 9 }).map((n) => n * 100),
      }),
    ),
    { minLength: 1, maxLength: 2 },
  ),
  required: fc.integer({ min: -1, max: 3 }),
  preferred: fc.integer({ min: -1, max: 3 }),
});

function members(size: number, shapes: readonly PodDemand['gpu'][]): PodDemand[] {
  return Array.from({ length: size }, (_, i) => ({ gpu: shapes[i % shapes.length]!, topology: {} }));
}

function states(state: ClusterState, names: Iterable<string>): NodeGpuState[] {
  return [...names].map((n) => state.nodeState(n)).filter((n): n is NodeGpuState => n !== undefined);
}

describe('planGang over random fabrics', () => {
  it('plans only valid placements, never misses a feasible domain, and honours the levels', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const fabric = generateFabric(s);
        const { state } = ClusterState.restore({}, fabric.inventories, fabric.occupied);
        const gang = members(s.size, s.shapes);
        const required = s.required >= 0 ? LEVELS[s.required] : undefined;
        const preferredIndex = required === undefined ? s.preferred : Math.min(s.preferred, s.required);
        const preferred = preferredIndex >= 0 ? LEVELS[preferredIndex] : undefined;
        const topology = { ...(required ? { required } : {}), ...(preferred ? { preferred } : {}) };
        const plan = planGang(state, { name: 'g', members: gang, topology });

        const widest = required ?? CLUSTER_LEVEL;
        const domainsAt = (level: string): string[][] =>
          level === CLUSTER_LEVEL
            ? [[...state.nodes()]]
            : state.graph.domains(level).map((d) => [...state.graph.nodesIn(level, d)]);
        const packs = (nodes: string[]): boolean =>
          packMembers(states(state, nodes), gang, { strictIslands: false }).placed === gang.length;

        if (!plan.ok) {
          // Brute force: no domain at the widest allowed level can hold the gang.
          for (const nodes of domainsAt(widest)) expect(packs(nodes)).toBe(false);
          expect(plan.reason).toMatch(/^group g needs /);
          return;
        }
        // Within the allowed levels, and the preferred one whenever it could hold the gang.
        const allowed = required ? LEVELS.slice(0, LEVELS.indexOf(required) + 1) : [...LEVELS, CLUSTER_LEVEL];
        expect(allowed).toContain(plan.level);
        if (preferred !== undefined && domainsAt(preferred).some(packs)) expect(plan.level).toBe(preferred);
        // One domain at the achieved level.
        if (plan.level !== CLUSTER_LEVEL) {
          const domains = new Set(plan.assignments.map((a) => state.graph.domainOf(a.node, plan.level)));
          expect([...domains]).toEqual([plan.domain]);
        }
        // Every member's placement can be reserved together: nothing is double-allocated.
        expect(plan.assignments).toHaveLength(gang.length);
        plan.assignments.forEach((a, i) => {
          const g = gang[i]!.gpu;
          if (g.kind === 'whole') expect(a.devices).toHaveLength(g.count);
          if (g.kind === 'fraction') expect(a.devices.map((d) => d.milli)).toEqual([g.milli]);
          expect(state.reserve(`m${i}`, a, 1).ok).toBe(true);
        });
      }),
      { numRuns: 400 },
    );
  });
});
