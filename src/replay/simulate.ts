// One replay: pods submitted one at a time, one attempt each, no retries. Every feasible node is
// scored through the policy (nodes in identical states share one score when the policy is pure),
// the best candidate wins and ties are broken uniformly at random over nodes, as kube-scheduler's
// selectHost does. Records cumulative arrived and allocated GPU milli after every pod.
import type { SeededRng } from './seeded-rng.js';
import type { NodeGroup, SimCluster, SimNode } from './sim-cluster.js';
import { podDemand, podGpuMilli } from './trace-convert.js';
import type { TracePod } from './trace-csv.js';
import { candidateAssignments } from '../core/ledger/device-fit.js';
import type { PlacementPolicy } from '../core/policies/policy.js';
import type { Assignment } from '../core/types.js';

export interface SimulationOptions {
  /** false for policies whose score is not a function of the candidate (random). */
  readonly pureScores: boolean;
  readonly rng: SeededRng;
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

interface Choice {
  group: NodeGroup;
  assignment: Assignment;
  /** How many nodes this choice stands for (for uniform tie-breaking over nodes). */
  weight: number;
}

const TIE = 1e-9;

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
  const ties: Choice[] = [];
  pods.forEach((pod, i) => {
    const demand = podDemand(pod);
    const milli = podGpuMilli(pod);
    arrivedSum += milli;
    policy.observe?.(demand);
    ties.length = 0;
    let best = -Infinity;
    for (const group of cluster.groups()) {
      const rep = group.members[0] as SimNode;
      if (!cluster.mayFit(rep, demand)) continue;
      const candidates = candidateAssignments(rep.state, demand);
      const copies = opts.pureScores ? 1 : group.members.length;
      const weight = opts.pureScores ? group.members.length : 1;
      for (let m = 0; m < copies; m++) {
        let top = -Infinity;
        let topAssignment: Assignment | undefined;
        for (const assignment of candidates) {
          const score = policy.score({ node: rep.state, assignment, demand });
          if (topAssignment === undefined || score > top) {
            top = score;
            topAssignment = assignment;
          }
        }
        if (topAssignment === undefined) continue;
        const slack = TIE * Math.max(1, Math.abs(top));
        if (ties.length === 0 || top > best + slack) {
          best = top;
          ties.length = 0;
          ties.push({ group, assignment: topAssignment, weight });
        } else if (top >= best - slack) {
          ties.push({ group, assignment: topAssignment, weight });
        }
      }
    }
    const choice = pickWeighted(ties, opts.rng);
    if (choice) {
      const members = choice.group.members;
      const rep = members[0] as SimNode;
      const target = members[opts.rng.below(members.length)] as SimNode;
      const assignment =
        target === rep ? choice.assignment : cluster.translate(choice.assignment, rep, target);
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

function pickWeighted(choices: readonly Choice[], rng: SeededRng): Choice | undefined {
  if (choices.length <= 1) return choices[0];
  let total = 0;
  for (const c of choices) total += c.weight;
  let r = rng.below(total);
  for (const c of choices) {
    r -= c.weight;
    if (r < 0) return c;
  }
  return choices[choices.length - 1];
}
