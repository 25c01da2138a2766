// The preempt verb: kube-scheduler's dry run picks victims with its in-tree filters only, blind to
// which device a share lives on, to NVLink islands and to gangs. For each candidate node this answers
// with Phalanx's own victim set (core/preemption): the pods that free the right share on the right
// device, or enough whole devices, gangs whole, lower priorities only. The scheduler accepts any pod
// bound to that node (protocol.md §2.9), drops nodes left out, and evicts only the listed pods, so a
// gang's members on other nodes are reported (app/preemption/preempt-gangs.ts evicts them once the scheduler
// has preempted one member). The scheduler ranks the nodes it gets back by the victims it can see on
// each, blind to a gang's members elsewhere, so only the nodes of least cost (highest priority
// evicted, then pods evicted counting remote members, then priority sum) are returned.
import type { ClusterState } from '../../core/cluster-state.js';
import { DemandError } from '../../core/errors.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { Req } from '../../core/names.js';
import { isManaged, parsePodDemand } from '../../core/pod-demand.js';
import { selectVictims } from '../../core/preemption/victim-selection.js';
import {
  compareCost,
  NO_COST,
  addCost,
  type RemoteMember,
  type VictimCandidate,
  type VictimCost,
} from '../../core/preemption/victim-units.js';
import type { PodDemand } from '../../core/types.js';
import type { GangMemberIndex } from '../ports.js';
import type { NodePods } from './ports.js';
import type { PreemptCandidates, PreemptOutcome, RemoteVictim } from '../verbs.js';

export type PreemptNodeResult =
  'victims' | 'costlier' | 'fits' | 'cannot-help' | 'unknown-node' | 'invalid-request';

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
}

const priorityOf = (pod: PodShape): number => pod.spec?.priority ?? 0;
const isFinished = (pod: PodShape): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** The key GangMemberIndex uses: "<namespace>/<phalanx.dev/pod-group>". */
function gangKeyOf(pod: PodShape): string | undefined {
  const group = pod.metadata?.annotations?.[Req.podGroup];
  return group === undefined || group === '' ? undefined : `${pod.metadata?.namespace ?? 'default'}/${group}`;
}

export class PreemptService {
  readonly #deps: PreemptServiceDeps;

  constructor(deps: PreemptServiceDeps) {
    this.#deps = deps;
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
    const candidates = onNode.map((p) => this.#candidate(p, node));
    const { members: remoteMembers, refs } = this.#remoteMembers(candidates, node);
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
    const remote = choice.remote
      .map((m) => refs.get(m.uid))
      .filter((r): r is RemoteVictim => r !== undefined);
    return { result: 'victims', uids, remote, cost: costOfPods(uids, candidates, choice.remote), counts };
  }

  #candidate(pod: PodShape, node: string): VictimCandidate {
    const uid = pod.metadata?.uid ?? '';
    const held = this.#deps.state.holding(uid);
    // Only what the ledger counts on this node's devices is freed by evicting the pod.
    const counted =
      held !== undefined &&
      held.state === 'committed' &&
      held.displaced !== true &&
      held.assignment.node === node;
    const gangKey = gangKeyOf(pod);
    return {
      uid,
      priority: priorityOf(pod),
      ...(counted ? { assignment: held.assignment } : {}),
      ...(gangKey !== undefined ? { gangKey } : {}),
    };
  }

  /** Members of the node's gangs bound to other nodes, for the whole-gang rule. */
  #remoteMembers(
    candidates: readonly VictimCandidate[],
    node: string,
  ): { members: Map<string, RemoteMember[]>; refs: Map<string, RemoteVictim> } {
    const members = new Map<string, RemoteMember[]>();
    const refs = new Map<string, RemoteVictim>();
    const keys = new Set(candidates.flatMap((c) => (c.gangKey === undefined ? [] : [c.gangKey])));
    for (const key of keys) {
      const elsewhere: RemoteMember[] = [];
      for (const member of this.#deps.gangs.members(key)) {
        const where = member.spec?.nodeName;
        const uid = member.metadata?.uid;
        if (where === undefined || where === '' || where === node || uid === undefined || isFinished(member))
          continue;
        elsewhere.push({ uid, node: where, priority: priorityOf(member) });
        refs.set(uid, {
          namespace: member.metadata?.namespace ?? 'default',
          name: member.metadata?.name ?? '',
          uid,
          node: where,
        });
      }
      members.set(key, elsewhere);
    }
    return { members, refs };
  }
}

/** The cost of evicting these pods of the node plus the remote gang members that go with them. */
function costOfPods(
  uids: readonly string[],
  onNode: readonly VictimCandidate[],
  remote: readonly RemoteMember[],
): VictimCost {
  const priority = new Map(onNode.map((c) => [c.uid, c.priority]));
  const priorities = [...uids.map((uid) => priority.get(uid) ?? 0), ...remote.map((m) => m.priority)];
  return priorities.reduce(
    (cost, p) => addCost(cost, { highestPriority: p, pods: 1, prioritySum: p }),
    NO_COST,
  );
}

function describeCost(cost: VictimCost): string {
  return `${cost.pods} pod(s) up to priority ${cost.highestPriority}`;
}
