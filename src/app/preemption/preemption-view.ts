// What Phalanx's own preemption reads from the cluster view for one request: the preemptor's pods
// (every member of a gang), and the candidate domains with the pods bound in them, as the core
// decision (core/preemption/preemption-plan.ts) takes them. For a gang, each domain of its required
// level (without one, the widest level); for a share, each node kube-scheduler offered it.
import type { ClusterState } from '../../core/cluster-state.js';
import { DemandError } from '../../core/errors.js';
import { GangMemberFit, type NodeLookup } from '../../core/gang/member-fit.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { NODE_LEVEL, Resource } from '../../core/names.js';
import { parsePodDemand } from '../../core/pod-demand.js';
import { budgetRefusal, type DisruptionBudget } from '../../core/preemption/disruption-budgets.js';
import { domainWithout } from '../../core/preemption/domain-victims.js';
import {
  planGangPreemption,
  planSharePreemption,
  type PreemptionDecision,
  type PreemptionDomain,
} from '../../core/preemption/preemption-plan.js';
import { preemptorRefusal, type VictimPolicy } from '../../core/preemption/victim-policy.js';
import type { VictimCandidate } from '../../core/preemption/victim-units.js';
import type { Assignment, PodDemand } from '../../core/types.js';
import type { GangMemberIndex } from '../ports.js';
import type { NodePods } from './ports.js';
import { VictimCandidates, isFinished, priorityOf } from './victim-candidates.js';

export type PreemptionKind = 'gang' | 'share';

export interface PreemptionRequest {
  readonly key: string;
  readonly kind: PreemptionKind;
  readonly pod: PodShape;
  readonly demand: PodDemand;
  /** The nodes kube-scheduler offered the pod (a share may only go there). */
  readonly offered?: readonly string[];
}

export interface Preemptors {
  /** Every live pod of the preemptor (a gang's bound members too). */
  readonly pods: PodShape[];
  /** The pods still to place, index-aligned with `demands`. */
  readonly pending: PodShape[];
  readonly demands: PodDemand[];
  readonly priority: number;
  /**
   * Nodes of the gang's members already bound (a leader started first, a re-plan): only a domain
   * holding all of them can take the rest, and those members are never victims.
   */
  readonly boundNodes: readonly string[];
}

export interface PreemptionViewDeps {
  readonly state: ClusterState;
  readonly nodePods: NodePods;
  readonly gangs: GangMemberIndex;
  /** Node objects and their usage: members are only placed where their node rules allow. */
  readonly nodes?: NodeLookup;
  readonly levels: readonly string[];
  readonly policy: VictimPolicy;
}

const GPU_RESOURCES: readonly string[] = [Resource.nvidiaGpu, Resource.gpuMilli];

export class PreemptionView {
  readonly #deps: PreemptionViewDeps;
  readonly #candidates: VictimCandidates;

  constructor(deps: PreemptionViewDeps) {
    this.#deps = deps;
    this.#candidates = new VictimCandidates(deps.state, deps.gangs, deps.policy);
  }

  /** The preemptor's pods (every member of a gang, some maybe bound), or why it may not preempt. */
  preemptors(
    request: PreemptionRequest,
  ): Preemptors | { reason: string; pods: PodShape[] } | { incomplete: true } {
    const gang = request.demand.gang;
    const pods =
      gang === undefined
        ? [request.pod]
        : this.#deps.gangs
            .members(gang.key)
            .filter((m) => !isFinished(m) && m.metadata?.deletionTimestamp == null);
    if (gang !== undefined && pods.length < gang.size) return { incomplete: true };
    const nodeOf = (p: PodShape): string => p.spec?.nodeName ?? '';
    const pending = pods.filter((p) => nodeOf(p) === '');
    if (pending.length === 0) return { reason: 'every member is bound already', pods };
    for (const pod of pods) {
      const refusal = preemptorRefusal(pod);
      if (refusal !== undefined) return { reason: refusal, pods };
    }
    const boundNodes = [...new Set(pods.map(nodeOf).filter((n) => n !== ''))].sort();
    const demands: PodDemand[] = [];
    try {
      for (const pod of pending) demands.push(parsePodDemand(pod, { levels: this.#deps.levels }));
    } catch (err) {
      if (!(err instanceof DemandError)) throw err;
      return { reason: `invalid request: ${err.message}`, pods };
    }
    // A gang preempts with its lowest member priority: no member displaces an equal.
    return { pods, pending, demands, priority: Math.min(...pods.map(priorityOf)), boundNodes };
  }

  plan(
    request: PreemptionRequest,
    preemptors: Preemptors,
    budgets: readonly DisruptionBudget[],
    excluded: ReadonlySet<string>,
  ): { decision: PreemptionDecision; pods: Map<string, PodShape> } {
    const isShare = request.kind === 'share';
    const level = isShare ? NODE_LEVEL : this.#gangLevel(request.demand);
    const everyPod = new Map<string, PodShape>();
    const preemptorUids = new Set(preemptors.pods.map((p) => p.metadata?.uid));
    const domains: PreemptionDomain[] = [];
    let joinable = false;
    for (const [name, nodeNames] of this.#domains(level, request.offered)) {
      // Bound members stay where they are (their GPUs stay counted): the rest must join them.
      if (!preemptors.boundNodes.every((n) => nodeNames.includes(n))) continue;
      joinable = true;
      if (excluded.has(name)) continue;
      const current = nodeNames.flatMap((n) => this.#deps.state.nodeState(n) ?? []);
      if (current.length === 0) continue;
      const pods: VictimCandidate[] = [];
      const leaving: Assignment[] = [];
      for (const node of nodeNames) {
        for (const pod of this.#deps.nodePods.podsOn(node)) {
          const uid = pod.metadata?.uid;
          if (uid === undefined || preemptorUids.has(uid) || isFinished(pod)) continue;
          if (pod.metadata?.deletionTimestamp != null) {
            // Leaving already (an earlier decision's victim, say): no victim, and its GPUs count as
            // free, so a decision repeated after a failover or an expired hold evicts nothing more.
            const held = this.#deps.state.holding(uid);
            if (held?.state === 'committed' && held.displaced !== true && held.assignment.node === node)
              leaving.push(held.assignment);
            continue;
          }
          pods.push(this.#candidates.candidate(pod, node));
          everyPod.set(uid, pod);
        }
      }
      const nodes = domainWithout(current, leaving);
      const remote = this.#candidates.remoteMembers(pods, new Set(nodeNames));
      for (const [uid, ref] of remote.refs) everyPod.set(uid, ref.pod);
      domains.push({ level, name, nodes, pods, remoteMembers: remote.members });
    }
    if (!joinable && preemptors.boundNodes.length > 0) {
      const reason = `the bound members (on ${preemptors.boundNodes.join(', ')}) share no ${level} domain`;
      return { decision: { kind: 'none', reason }, pods: everyPod };
    }
    const query = {
      domains,
      preemptorPriority: preemptors.priority,
      refusal: (uids: readonly string[]) =>
        budgetRefusal(
          uids.flatMap((uid) => everyPod.get(uid) ?? []),
          budgets,
        ),
      ...(request.demand.gang ? { preemptorGangKey: request.demand.gang.key } : {}),
    };
    if (isShare)
      return { decision: planSharePreemption({ ...query, demand: request.demand }), pods: everyPod };
    const fit = this.#deps.nodes
      ? new GangMemberFit({
          pods: preemptors.pending,
          lookup: this.#deps.nodes,
          ignoreResources: GPU_RESOURCES,
        })
      : undefined;
    const decision = planGangPreemption({ ...query, members: preemptors.demands, ...(fit ? { fit } : {}) });
    return { decision, pods: everyPod };
  }

  /** The gang's required level; without one, the widest level (a zone), never the whole cluster. */
  #gangLevel(demand: PodDemand): string {
    const all = this.#deps.state.graph.allLevels;
    const required = demand.topology.required;
    if (required !== undefined && all.includes(required)) return required;
    return all[all.length - 1] ?? NODE_LEVEL;
  }

  /** Domain name → its nodes; for shares, each node the scheduler offered (or every GPU node). */
  #domains(level: string, offered: readonly string[] | undefined): [string, string[]][] {
    if (level === NODE_LEVEL) {
      const names = offered ?? [...this.#deps.state.nodes()];
      return names.map((n) => [n, [n]]);
    }
    const graph = this.#deps.state.graph;
    return [...graph.summaries(level)].map(([domain]) => [domain, [...graph.nodesIn(level, domain)]]);
  }
}
