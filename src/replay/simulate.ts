// One replay: pods submitted one at a time, one attempt each, no retries. Every feasible node is
// scored through the policy. For a pure policy, nodes in identical states share one score, kept per
// pod type until the group's state or the policy's version() changes; the best candidate wins and
// ties are broken uniformly at random over nodes, as kube-scheduler's selectHost does. Records
// cumulative arrived and allocated GPU milli after every pod.
import type { SeededRng } from './seeded-rng.js';
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
  version: number,
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
  return { version, score, assignment: best, from: node.state, group };
}

function scoreGroups(
  cluster: SimCluster,
  demand: PodDemand,
  policy: PlacementPolicy,
  pure: boolean,
  top: TopScores<GroupScore>,
): void {
  const version = policy.version?.() ?? 0;
  const typeKey = podTypeKey(demand);
  for (const group of cluster.groups()) {
    const rep = group.members[0] as SimNode;
    if (pure) {
      let entry = group.scores.get(typeKey);
      if (entry === undefined || entry.version !== version) {
        entry = bestOnNode(cluster, group, rep, demand, policy, version);
        group.scores.set(typeKey, entry);
      }
      if (entry.assignment) top.offer(entry, entry.score, group.members.length);
    } else if (cluster.mayFit(rep, demand)) {
      // Impure scores (random): every node draws its own score; candidates are the group's.
      const candidates = candidateAssignments(rep.state, demand);
      for (let m = 0; m < group.members.length; m++) {
        for (const assignment of candidates) {
          const score = policy.score({ node: rep.state, assignment, demand });
          top.offer({ version, score, assignment, from: rep.state, group }, score, 1);
        }
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
  pods.forEach((pod, i) => {
    const demand = podDemand(pod);
    const milli = podGpuMilli(pod);
    arrivedSum += milli;
    if (opts.observe) policy.observe?.(demand);
    top.reset();
    scoreGroups(cluster, demand, policy, opts.pureScores, top);
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
