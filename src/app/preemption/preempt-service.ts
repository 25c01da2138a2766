// The preempt verb: kube-scheduler's dry run picks victims with its in-tree filters only, blind to
// which device a share lives on, to NVLink islands and to gangs. For each candidate node this answers
// with Phalanx's own victim set (core/preemption): the pods that free the right share on the right
// device, or enough whole devices, gangs whole, lower priorities only. The scheduler accepts any pod
// bound to that node (protocol.md §2.9), drops nodes left out, and evicts only the listed pods, so a
// gang's members on other nodes are reported (app/preemption/preempt-gangs.ts evicts them once the scheduler
// has preempted one member). The scheduler ranks the nodes it gets back by the victims it can see on
// each, blind to a gang's members elsewhere, so only the nodes of least cost (core/preemption's
// order, counting remote members) are returned. A gang member as preemptor gets no node: member by
// member preemption never frees a domain for the whole gang, so it is handed to Phalanx's own
// preemption (preemption-controller.ts), which evicts for the gang at once.
import type { ClusterState } from '../../core/cluster-state.js';
import { DemandError } from '../../core/errors.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { isManaged, parsePodDemand } from '../../core/pod-demand.js';
import { selectVictims } from '../../core/preemption/victim-selection.js';
import {
  compareCost,
  NO_COST,
  addCost,
  assignmentDevices,
  podCost,
  type RemoteMember,
  type VictimCandidate,
  type VictimCost,
} from '../../core/preemption/victim-units.js';
import type { PodDemand } from '../../core/types.js';
import type { GangMemberIndex } from '../ports.js';
import type { NodePods } from './ports.js';
import type { LeavingVictims } from './leaving-victims.js';
import { VictimCandidates, gangKeyOf, isFinished, priorityOf } from './victim-candidates.js';
import type { PreemptCandidates, PreemptOutcome, RemoteVictim } from '../verbs.js';

export type PreemptNodeResult =
  | 'victims'
  | 'costlier'
  | 'fits'
  | 'cannot-help'
  | 'unknown-node'
  | 'invalid-request'
  | 'whole-gang'
  | 'victims-leaving';

/** Why a victim is in a node's set: it frees GPU, it is a gang-mate of one that does, or the scheduler chose it. */
export type VictimReason = 'gpu' | 'gang' | 'host';

export interface PreemptObserver {
  nodeResult(result: PreemptNodeResult): void;
  victimsChosen(reason: VictimReason, count: number): void;
}

export interface PreemptServiceDeps {
  readonly state: Pick<ClusterState, 'nodeState' | 'holding'>;
  readonly nodePods: NodePods;
  readonly gangs: GangMemberIndex;
  readonly levels: readonly string[];
  /** Not synced or not leader → the verb answers with an error and the scheduler retries. */
  readonly notServingReason: () => string | undefined;
  readonly observer?: PreemptObserver;
  /**
   * Phalanx preempts for gangs itself, whole (app/preemption/preemption-controller.ts): a gang
   * member reaching this verb is told no node helps, and handed over here.
   */
  readonly wholeGangs?: (pod: PodShape, demand: PodDemand) => void;
  /**
   * The victims this verb chose before, per preemptor: while a choice is still leaving Phalanx's
   * view, no other is made (leaving-victims.ts).
   */
  readonly leaving?: LeavingVictims;
}

/** Why gang members get no victims from the verb when Phalanx preempts for gangs itself. */
export const WHOLE_GANG_REASON = 'a gang is preempted for whole by Phalanx, not member by member';

export class PreemptService {
  readonly #deps: PreemptServiceDeps;
  readonly #candidates: VictimCandidates;

  constructor(deps: PreemptServiceDeps) {
    this.#deps = deps;
    this.#candidates = new VictimCandidates(deps.state, deps.gangs);
  }

  preempt(pod: PodShape, candidates: PreemptCandidates): PreemptOutcome {
    const error = this.#deps.notServingReason();
    if (error) return { victims: {}, remote: {}, dropped: {}, error };
    let demand: PodDemand;
    try {
      demand = parsePodDemand(pod, { levels: this.#deps.levels });
    } catch (err) {
      if (!(err instanceof DemandError)) throw err;
      const dropped = Object.fromEntries(
        Object.keys(candidates).map((n) => [n, `invalid request: ${err.message}`]),
      );
      for (const _ of Object.keys(candidates)) this.#deps.observer?.nodeResult('invalid-request');
      return { victims: {}, remote: {}, dropped };
    }
    // No GPU asked: nothing of ours to judge, the scheduler's choice stands.
    if (!isManaged(demand)) return { victims: candidates, remote: {}, dropped: {} };
    if (demand.gang !== undefined && this.#deps.wholeGangs !== undefined) {
      this.#deps.wholeGangs(pod, demand);
      for (const _ of Object.keys(candidates)) this.#deps.observer?.nodeResult('whole-gang');
      return {
        victims: {},
        remote: {},
        dropped: Object.fromEntries(Object.keys(candidates).map((n) => [n, WHOLE_GANG_REASON])),
      };
    }
    const leaving = this.#deps.leaving?.leavingOn(pod);
    if (leaving !== undefined) {
      const reason = `the victims chosen for this pod on node ${leaving.node} are still leaving (${leaving.holding} still hold GPUs)`;
      for (const _ of Object.keys(candidates)) this.#deps.observer?.nodeResult('victims-leaving');
      return {
        victims: {},
        remote: {},
        dropped: Object.fromEntries(Object.keys(candidates).map((n) => [n, reason])),
      };
    }
    const victims: Record<string, readonly string[]> = {};
    const remote: Record<string, readonly RemoteVictim[]> = {};
    const dropped: Record<string, string> = {};
    const answers = Object.entries(candidates).map(
      ([node, proposed]) => [node, this.#answerNode(pod, demand, node, proposed)] as const,
    );
    let best: { node: string; cost: VictimCost } | undefined;
    for (const [node, answer] of answers) {
      if (answer.result === 'victims' && (best === undefined || compareCost(answer.cost, best.cost) < 0))
        best = { node, cost: answer.cost };
    }
    for (const [node, answer] of answers) {
      if (answer.result !== 'victims') {
        this.#deps.observer?.nodeResult(answer.result);
        dropped[node] = answer.reason;
      } else if (best !== undefined && compareCost(answer.cost, best.cost) > 0) {
        this.#deps.observer?.nodeResult('costlier');
        dropped[node] =
          `costlier: evicting ${describeCost(answer.cost)} here, ${describeCost(best.cost)} on ${best.node}`;
      } else {
        for (const [reason, count] of answer.counts) this.#deps.observer?.victimsChosen(reason, count);
        this.#deps.observer?.nodeResult('victims');
        victims[node] = answer.uids;
        if (answer.remote.length > 0) remote[node] = answer.remote;
      }
    }
    this.#deps.leaving?.chosen(pod.metadata?.uid ?? '', victims);
    return { victims, remote, dropped };
  }

  #answerNode(
    preemptor: PodShape,
    demand: PodDemand,
    node: string,
    proposed: readonly string[],
  ):
    | {
        result: 'victims';
        uids: string[];
        remote: RemoteVictim[];
        cost: VictimCost;
        counts: [VictimReason, number][];
      }
    | { result: Exclude<PreemptNodeResult, 'victims' | 'costlier'>; reason: string } {
    const state = this.#deps.state.nodeState(node);
    if (state === undefined)
      return { result: 'unknown-node', reason: `node ${node} has no GPUs known to Phalanx` };
    const preemptorUid = preemptor.metadata?.uid;
    const onNode = this.#deps.nodePods
      .podsOn(node)
      .filter((p) => p.metadata?.uid !== undefined && p.metadata.uid !== preemptorUid && !isFinished(p));
    const candidates = onNode.map((p) => this.#candidates.candidate(p, node));
    const { members: remoteMembers, refs } = this.#candidates.remoteMembers(candidates, new Set([node]));
    const priority = priorityOf(preemptor);
    const choice = selectVictims({
      demand,
      node: state,
      pods: candidates,
      preemptorPriority: priority,
      preemptorGangKey: gangKeyOf(preemptor),
      remoteMembers,
    });
    if (choice.kind === 'cannot-help') return { result: 'cannot-help', reason: choice.reason };
    // The scheduler's own victims that hold no GPU here freed host resources Phalanx does not track
    // (CPU, memory, pod slots): keep them, unless that would split a gang.
    const host = proposed.filter((uid) => {
      const c = candidates.find((x) => x.uid === uid);
      return (
        c !== undefined && c.assignment === undefined && c.gangKey === undefined && c.priority < priority
      );
    });
    if (choice.kind === 'fits') {
      if (host.length === 0) {
        return {
          result: 'fits',
          reason: `the pod's GPU request fits on node ${node} without evicting anything`,
        };
      }
      const uids = [...host].sort();
      return {
        result: 'victims',
        uids,
        remote: [],
        cost: costOfPods(uids, candidates, []),
        counts: [['host', host.length]],
      };
    }
    const counts: [VictimReason, number][] = choice.units.map((unit) => [
      unit.members[0]?.gangKey !== undefined ? 'gang' : 'gpu',
      unit.members.length + unit.remote.length,
    ]);
    if (host.length > 0) counts.push(['host', host.length]);
    const uids = [...new Set([...choice.uids, ...host])].sort();
    const remote = choice.remote.flatMap((m): RemoteVictim[] => {
      const ref = refs.get(m.uid);
      return ref === undefined
        ? []
        : [{ namespace: ref.namespace, name: ref.name, uid: ref.uid, node: ref.node }];
    });
    return { result: 'victims', uids, remote, cost: costOfPods(uids, candidates, choice.remote), counts };
  }
}

/** The cost of evicting these pods of the node plus the remote gang members that go with them. */
function costOfPods(
  uids: readonly string[],
  onNode: readonly VictimCandidate[],
  remote: readonly RemoteMember[],
): VictimCost {
  const byUid = new Map(onNode.map((c) => [c.uid, c]));
  const local = uids.map((uid) => {
    const c = byUid.get(uid);
    return podCost(c?.priority ?? 0, assignmentDevices(c?.assignment), c?.createdAtMs);
  });
  const elsewhere = remote.map((m) => podCost(m.priority, m.gpus ?? 0, m.createdAtMs));
  return [...local, ...elsewhere].reduce(addCost, NO_COST);
}

function describeCost(cost: VictimCost): string {
  return `${cost.pods} pod(s) up to priority ${cost.highestPriority}`;
}
