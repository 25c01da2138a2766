// Where each member of a gang may run besides GPUs, as one MemberFit for the planner: kube-scheduler's
// node-level rules (core/eligibility) evaluated from each member's own pod spec, the host resources
// of members packed onto one node added up, the rules between members (member-topology), and — for
// the member the scheduler is filtering right now — the nodes it offered, which are ground truth for
// every member stamped from the same template. Pure: nodes and their usage come through NodeLookup.
import { nodeAdmitsPod, nodeFitsUsage, type NodeUsage } from '../eligibility/node-eligibility.js';
import { podHostPorts } from '../eligibility/host-ports.js';
import { addRequests, podRequests } from '../eligibility/resources.js';
import type { NodeShape, PodShape } from '../kube-shapes.js';
import type { MemberFit, PackScope } from './domain-packing.js';
import {
  MemberTopology,
  describeRule,
  memberRules,
  type MemberRule,
  type TopologyLookup,
} from './member-topology.js';

export interface NodeLookup extends TopologyLookup {
  node(name: string): NodeShape | undefined;
  /** What the pods bound to the node take. */
  usage(name: string): NodeUsage;
}

export interface MemberFitInput {
  /** Index-aligned with the plan's members; a member not created yet is its template pod. */
  readonly pods: readonly PodShape[];
  readonly lookup: NodeLookup;
  /**
   * Constraint class (constraintKey) → the nodes kube-scheduler offered a member of that class: ground
   * truth for every member of the class, including rules Phalanx does not evaluate itself.
   */
  readonly offered?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Members already placed before packing starts (a refit keeps the plan's other slots). */
  readonly prePlaced?: readonly { readonly member: number; readonly node: string }[];
  /** Resources Phalanx accounts itself (GPUs): not checked against allocatable here. */
  readonly ignoreResources: readonly string[];
}

/** Why nodes were refused, per reason, over one plan (for the gang's explanation). */
export type Exclusions = ReadonlyMap<string, ReadonlySet<string>>;

export const NOT_OFFERED = 'not offered by the scheduler for this member';

/** JSON with sorted keys, so equal specs give equal keys whatever their field order. */
function stableKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableKey(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What decides where a pod may run: members with equal keys are interchangeable for the fit. Labels
 * are left out: controllers stamp per-pod labels (worker index, completion index) on members of one
 * template, which must stay one class for the scheduler's offer to speak for all of them.
 */
export function constraintKey(pod: PodShape): string {
  const spec = pod.spec;
  return stableKey({
    ns: pod.metadata?.namespace,
    nodeSelector: spec?.nodeSelector,
    affinity: spec?.affinity,
    tolerations: spec?.tolerations,
    spread: spec?.topologySpreadConstraints,
    requests: podRequests(pod),
    ports: podHostPorts(pod),
  });
}

export class GangMemberFit implements MemberFit {
  private readonly input: MemberFitInput;
  private readonly classes: readonly string[];
  private readonly rules: readonly MemberRule[];
  /** class → node → reason it is refused ('' = admitted), for the static rules. */
  private readonly admitted = new Map<string, Map<string, string>>();
  private readonly excluded = new Map<string, Set<string>>();

  constructor(input: MemberFitInput) {
    this.input = input;
    this.classes = input.pods.map(constraintKey);
    this.rules = memberRules(input.pods, input.lookup);
  }

  begin(): PackScope {
    const topology = new MemberTopology(this.rules, this.input.lookup);
    const packed = new Map<string, number[]>();
    for (const { member, node } of this.input.prePlaced ?? []) {
      topology.place(member, node);
      packed.set(node, [...(packed.get(node) ?? []), member]);
    }
    return {
      classOf: (member) => this.classes[member] ?? '',
      admits: (member, node) => {
        if (!this.admitsStatically(member, node)) return false;
        if (!this.fitsWith(member, node, packed.get(node) ?? [])) return false;
        const rule = topology.violated(member, node);
        if (rule !== undefined) this.exclude(describeRule(rule), node);
        return rule === undefined;
      },
      place: (member, node) => {
        topology.place(member, node);
        const here = packed.get(node);
        if (here === undefined) packed.set(node, [member]);
        else here.push(member);
      },
    };
  }

  /** Reasons nodes were refused during the plan, each with the nodes it refused. */
  exclusions(): Exclusions {
    return this.excluded;
  }

  /** The members' own node rules, cached per class and node (they do not change within a plan). */
  private admitsStatically(member: number, node: string): boolean {
    const cls = this.classes[member] ?? '';
    let perNode = this.admitted.get(cls);
    if (perNode === undefined) this.admitted.set(cls, (perNode = new Map<string, string>()));
    let reason = perNode.get(node);
    if (reason === undefined) {
      reason = this.staticReason(member, cls, node);
      perNode.set(node, reason);
      if (reason !== '') this.exclude(reason, node);
    }
    return reason === '';
  }

  private staticReason(member: number, cls: string, node: string): string {
    const pod = this.input.pods[member];
    const shape = this.input.lookup.node(node);
    if (pod === undefined || shape === undefined) return 'node unknown';
    const rules = nodeAdmitsPod(pod, shape);
    if (!rules.ok) return rules.reason;
    const offered = this.input.offered?.get(cls);
    if (offered === undefined || offered.has(node)) return '';
    // Name what Phalanx can see refusing the node (the host resources others took) before the offer.
    const usage = nodeFitsUsage(pod, shape, this.input.lookup.usage(node), {
      ignoreResources: this.input.ignoreResources,
    });
    return usage.ok ? NOT_OFFERED : usage.reason;
  }

  /** Host resources, pod count and ports, with the members already packed onto the node added. */
  private fitsWith(member: number, node: string, packedHere: readonly number[]): boolean {
    const pod = this.input.pods[member];
    const shape = this.input.lookup.node(node);
    if (pod === undefined || shape === undefined) return false;
    let usage = this.input.lookup.usage(node);
    for (const other of packedHere) {
      const otherPod = this.input.pods[other];
      if (otherPod === undefined) continue;
      usage = {
        requested: addRequests(usage.requested, podRequests(otherPod)),
        podCount: usage.podCount + 1,
        hostPorts: [...usage.hostPorts, ...podHostPorts(otherPod)],
      };
    }
    const fits = nodeFitsUsage(pod, shape, usage, { ignoreResources: this.input.ignoreResources });
    if (!fits.ok) this.exclude(fits.reason, node);
    return fits.ok;
  }

  private exclude(reason: string, node: string): void {
    let nodes = this.excluded.get(reason);
    if (nodes === undefined) this.excluded.set(reason, (nodes = new Set()));
    nodes.add(node);
  }
}

/**
 * "among nodes matching pool=a" for a gang whose members select nodes, else undefined. Taken from
 * the first member; members that disagree are told apart by the exclusions.
 */
export function describeScope(pods: readonly PodShape[]): string | undefined {
  const spec = pods[0]?.spec;
  const selector = Object.entries(spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`);
  const affinity = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (selector.length > 0) return `among nodes matching ${selector.join(',')}`;
  if (affinity !== undefined) return 'among nodes matching its node affinity';
  return undefined;
}

/** "37 × node(s) didn't match Pod's node affinity/selector; 7 × node(s) had untolerated taint …". */
export function describeExclusions(exclusions: Exclusions, limit = 4): string {
  return [...exclusions]
    .map(([reason, nodes]) => ({ reason, count: nodes.size }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1))
    .slice(0, limit)
    .map(({ reason, count }) => `${count} node(s): ${reason}`)
    .join('; ');
}
