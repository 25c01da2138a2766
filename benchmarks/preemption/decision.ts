// The CPU cost of one preemption decision in-process (core/preemption/preemption-plan.ts), on the
// same synthetic fabric as the cluster run: every node full of one low-priority 8-GPU pod, a gang of
// `size` × 8 GPUs preempting at its required level (a clique of 18 nodes, or a rack of 72). Runs on
// the event loop of Phalanx's leader, so it must stay small.
import { ClusterState } from '../../src/core/cluster-state.js';
import { NodeLabel } from '../../src/core/names.js';
import { planGangPreemption, type PreemptionDomain } from '../../src/core/preemption/preemption-plan.js';
import { nodeInventory } from '../../testbed/gpu-fabric.js';
import { quantile, round } from '../lib/stats.js';
import { syntheticFabric } from '../lib/synthetic-fabric.js';

const GPUS = 8;
const ALL = Array.from({ length: GPUS }, (_, index) => ({ index, milli: 1000, memoryBytes: 0 }));

export interface DecisionTiming {
  readonly gangSize: number;
  readonly level: string;
  readonly domains: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Decision times over `repeats` decisions per gang size, on a full fabric of `nodes` nodes. */
export function measureDecisions(nodes: number, sizes: readonly number[], repeats: number): DecisionTiming[] {
  const state = new ClusterState();
  let i = 0;
  for (const zone of syntheticFabric(nodes).zones) {
    for (const rack of zone.racks) {
      for (const clique of rack.cliques) {
        for (let n = 0; n < clique.nodes; n += 1, i += 1) {
          const name = `n${i}`;
          const labels = {
            [NodeLabel.clique]: `${rack.nvlinkDomain}.${clique.id}`,
            [NodeLabel.leaf]: rack.leaf,
            [NodeLabel.zone]: zone.name,
          };
          state.applyNode(nodeInventory(name, GPUS, { labels }));
          state.commit(`low-${name}`, { node: name, whole: true, devices: ALL });
        }
      }
    }
  }
  return sizes.map((size) => {
    const level = size <= 18 ? NodeLabel.clique : NodeLabel.leaf;
    const domains: PreemptionDomain[] = [...state.graph.summaries(level)].map(([domain]) => {
      const names = [...state.graph.nodesIn(level, domain)];
      return {
        level,
        name: domain,
        nodes: names.flatMap((n) => state.nodeState(n) ?? []),
        pods: names.map((n, k) => ({
          uid: `low-${n}`,
          priority: 100,
          assignment: { node: n, whole: true, devices: ALL },
          createdAtMs: k,
        })),
      };
    });
    const members = Array.from({ length: size }, () => ({
      gpu: { kind: 'whole' as const, count: GPUS },
      topology: {},
    }));
    const samples: number[] = [];
    for (let r = 0; r < repeats; r += 1) {
      const t0 = performance.now();
      const decision = planGangPreemption({ domains, members, preemptorPriority: 1000 });
      samples.push(performance.now() - t0);
      if (decision.kind !== 'victims' || decision.uids.length !== size)
        throw new Error(`gang of ${size}: expected ${size} victims, got ${decision.kind}`);
    }
    return {
      gangSize: size,
      level: size <= 18 ? 'clique' : 'rack',
      domains: domains.length,
      p50Ms: round(quantile(samples, 0.5), 1),
      p99Ms: round(quantile(samples, 0.99), 1),
    };
  });
}
