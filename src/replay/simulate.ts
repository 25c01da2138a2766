// One replay: pods submitted one at a time, one attempt each, no retries. Every feasible node is
// scored through the policy. For a pure policy, nodes in identical states share one score, kept per
// pod type until the group's state or the policy's version() changes; the best candidate wins and
// ties are broken uniformly at random over nodes, as kube-scheduler's selectHost does. Records
// cumulative arrived and allocated GPU milli after every pod.
import type { SeededRng } from './seeded-rng.js';
import { SlotScores } from './slot-scores.js';
import type { GroupScore, NodeGroup, SimCluster, SimNode } from './sim-cluster.js';
import { TopScores } from './tie-break.js';
import { podDemand, podGpuMilli } from './trace-convert.js';
import type { TracePod } from './trace-csv.js';
import { candidateAssignments } from '../core/ledger/device-fit.js';
import { podTypeKey } from '../core/policies/pod-types.js';
import type { PlacementPolicy } from '../core/policies/policy.js';
import type { Assignment, PodDemand } from '../core/types.js';

export interface SimulationOptions {
  /** false for policies whose score is not a function of the candidate (random). */
  readonly pureScores: boolean;
  readonly rng: SeededRng;
  /** Whether each arriving pod is passed to policy.observe (false: the policy was given the workload). */
  readonly observe: boolean;
  /** Called after every pod with its index. */
  readonly onPod?: (index: number) => void;
}

export interface SimulationSeries {
  /** Cumulative GPU milli requested by pods submitted so far (placed or not), per pod. */
  readonly arrivedMilli: Float64Array;
  /** Cumulative GPU milli allocated so far, per pod. */
  readonly allocatedMilli: Float64Array;
  readonly failedPods: number;
}

/** The policy's best candidate on one node (first of equals), or no assignment when none fits. */
function bestOnNode(
  cluster: SimCluster,
  group: NodeGroup,
  node: SimNode,
  demand: PodDemand,
  policy: PlacementPolicy,
): GroupScore {
  let score = -Infinity;
  let best: Assignment | undefined;
  if (cluster.mayFit(node, demand)) {
    for (const assignment of candidateAssignments(node.state, demand)) {
      const s = policy.score({ node: node.state, assignment, demand });
      if (best === undefined || s > score) {
        score = s;
        best = assignment;
      }
    }
  }
  return { score: best === undefined ? -Infinity : score, assignment: best, from: node.state, group };
}

function scorePure(
  cluster: SimCluster,
  demand: PodDemand,
  policy: PlacementPolicy,
  cache: SlotScores,
  top: TopScores<GroupScore>,
): void {
  const typeSlots = cache.forType(cluster.typeId(podTypeKey(demand)), policy.version?.() ?? 0);
  const { generation, score, entry } = typeSlots;
  const slots = cluster.slots;
  const slotGeneration = cluster.slotGeneration;
  const count = cluster.slotCount();
  for (let s = 0; s < count; s++) {
    const group = slots[s];
    if (group === undefined) continue;
    if (generation[s] !== slotGeneration[s]) {
      const fresh = bestOnNode(cluster, group, group.members[0] as SimNode, demand, policy);
      entry[s] = fresh;
      score[s] = fresh.score;
      generation[s] = slotGeneration[s] as number;
    }
    const value = score[s] as number;
    if (value !== -Infinity && top.accepts(value))
      top.offer(entry[s] as GroupScore, value, group.members.length);
  }
}

/** Impure scores (random): every node draws its own score; candidates are its group's. */
function scoreImpure(
  cluster: SimCluster,
  demand: PodDemand,
  policy: PlacementPolicy,
  top: TopScores<GroupScore>,
): void {
  const count = cluster.slotCount();
  for (let s = 0; s < count; s++) {
    const group = cluster.slots[s];
    const rep = group?.members[0];
    if (group === undefined || rep === undefined || !cluster.mayFit(rep, demand)) continue;
    const candidates = candidateAssignments(rep.state, demand);
    for (let m = 0; m < group.members.length; m++) {
      for (const assignment of candidates) {
        const score = policy.score({ node: rep.state, assignment, demand });
        top.offer({ score, assignment, from: rep.state, group }, score, 1);
      }
    }
  }
}

export function simulate(
  cluster: SimCluster,
  pods: readonly TracePod[],
  policy: PlacementPolicy,
  opts: SimulationOptions,
): SimulationSeries {
  const arrived = new Float64Array(pods.length);
  const allocated = new Float64Array(pods.length);
  let arrivedSum = 0;
  let allocatedSum = 0;
  let failed = 0;
  const top = new TopScores<GroupScore>();
  const cache = new SlotScores(cluster.slots.length);
  pods.forEach((pod, i) => {
    const demand = podDemand(pod);
    const milli = podGpuMilli(pod);
    arrivedSum += milli;
    if (opts.observe) policy.observe?.(demand);
    top.reset();
    if (opts.pureScores) scorePure(cluster, demand, policy, cache, top);
    else scoreImpure(cluster, demand, policy, top);
    const choice = top.pick(opts.rng);
    const chosen = choice?.assignment;
    if (choice && chosen) {
      const { group, from } = choice;
      const target = group.members[opts.rng.below(group.members.length)] as SimNode;
      const assignment = target.state === from ? chosen : cluster.translate(chosen, from, target);
      cluster.place(target, assignment, demand);
      allocatedSum += milli;
    } else {
      failed += 1;
    }
    arrived[i] = arrivedSum;
    allocated[i] = allocatedSum;
    opts.onPod?.(i);
  });
  return { arrivedMilli: arrived, allocatedMilli: allocated, failedPods: failed };
}
