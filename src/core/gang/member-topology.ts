// Constraints between the members of one gang that kube-scheduler enforces per pod and a plan must
// honour up front: required pod anti-affinity (no two matching members in one domain of the key,
// e.g. one worker per node), required pod affinity (matching members share a domain of the key) and
// topology spread with DoNotSchedule (at most maxSkew matching members per domain of the key).
// Spread is evaluated among the gang's members against empty domains (the usual case: the other
// domains of the key hold none of the gang's pods, so the global minimum is 0); where the cluster has
// a single domain of the key, skew is always 0 and the rule is dropped. Pods outside the gang are
// not looked at here: for the member being filtered the scheduler's own offer already covers them.
import { labelSelectorMatches } from '../eligibility/label-selector.js';
import type { PodAffinityTermShape, PodShape, StringMap } from '../kube-shapes.js';

type Relation = 'anti-affinity' | 'affinity' | 'spread';

/** One rule of one member: which other members it concerns, over which node label, how many per domain. */
export interface MemberRule {
  readonly relation: Relation;
  readonly owner: number;
  readonly key: string;
  /** Members the rule counts (for spread it includes the owner when the owner matches). */
  readonly matching: ReadonlySet<number>;
  /** spread: at most this many matching members per domain. */
  readonly maxPerDomain: number;
}

export interface TopologyLookup {
  /** The node's value of a label, undefined when the node lacks it. */
  labelOf(node: string, key: string): string | undefined;
  /** How many distinct values the label has across the cluster's nodes. */
  distinctValues(key: string): number;
}

function labelsOf(pod: PodShape): StringMap {
  return pod.metadata?.labels ?? {};
}

function matchingMembers(
  pods: readonly PodShape[],
  owner: number,
  term: { readonly labelSelector?: PodAffinityTermShape['labelSelector'] },
  namespaces: readonly string[] | undefined,
): Set<number> {
  const ownNamespace = pods[owner]?.metadata?.namespace ?? 'default';
  const allowed = namespaces !== undefined && namespaces.length > 0 ? namespaces : [ownNamespace];
  const out = new Set<number>();
  pods.forEach((pod, i) => {
    const ns = pod.metadata?.namespace ?? 'default';
    if (allowed.includes(ns) && labelSelectorMatches(term.labelSelector, labelsOf(pod))) out.add(i);
  });
  return out;
}

/** Every rule the members' specs state about each other, index-aligned with `pods`. */
export function memberRules(pods: readonly PodShape[], lookup: TopologyLookup): MemberRule[] {
  const rules: MemberRule[] = [];
  pods.forEach((pod, owner) => {
    const affinity = pod.spec?.affinity;
    for (const term of affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const matching = matchingMembers(pods, owner, term, term.namespaces);
      matching.delete(owner);
      if (matching.size > 0)
        rules.push({ relation: 'anti-affinity', owner, key: term.topologyKey, matching, maxPerDomain: 1 });
    }
    for (const term of affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const matching = matchingMembers(pods, owner, term, term.namespaces);
      matching.delete(owner);
      if (matching.size > 0)
        rules.push({ relation: 'affinity', owner, key: term.topologyKey, matching, maxPerDomain: Infinity });
    }
    for (const spread of pod.spec?.topologySpreadConstraints ?? []) {
      if (spread.whenUnsatisfiable !== 'DoNotSchedule') continue;
      if (lookup.distinctValues(spread.topologyKey) < 2) continue;
      const matching = matchingMembers(pods, owner, spread, undefined);
      const maxPerDomain = Math.max(1, Math.floor(spread.maxSkew));
      rules.push({ relation: 'spread', owner, key: spread.topologyKey, matching, maxPerDomain });
    }
  });
  return rules;
}

/** A short, stable statement of a rule for explanations. */
export function describeRule(rule: MemberRule): string {
  switch (rule.relation) {
    case 'anti-affinity':
      return `pod anti-affinity: one member per ${rule.key}`;
    case 'affinity':
      return `pod affinity: members share one ${rule.key}`;
    case 'spread':
      return `topology spread: at most ${rule.maxPerDomain} member(s) per ${rule.key}`;
  }
}

/**
 * Tracks where members went during one packing pass and answers whether `member` may go to `node`
 * given the rules. Monotone: placing more members only ever refuses more.
 */
export class MemberTopology {
  private readonly rules: readonly MemberRule[];
  private readonly lookup: TopologyLookup;
  private readonly placedOn = new Map<number, string>();

  constructor(rules: readonly MemberRule[], lookup: TopologyLookup) {
    this.rules = rules;
    this.lookup = lookup;
  }

  /** The first rule that forbids `member` on `node`, or undefined. */
  violated(member: number, node: string): MemberRule | undefined {
    for (const rule of this.rules) {
      if (!this.breaks(rule, member, node)) continue;
      return rule;
    }
    return undefined;
  }

  place(member: number, node: string): void {
    this.placedOn.set(member, node);
  }

  private breaks(rule: MemberRule, member: number, node: string): boolean {
    const involved = rule.owner === member || rule.matching.has(member);
    if (!involved) return false;
    const value = this.lookup.labelOf(node, rule.key);
    if (rule.relation === 'spread') {
      if (!rule.matching.has(member)) return rule.owner === member && value === undefined;
      if (value === undefined) return rule.owner === member;
      return this.countIn(rule.matching, rule.key, value) + 1 > rule.maxPerDomain;
    }
    // (Anti-)affinity concerns the owner and the members its selector matches, both ways round.
    const others = rule.owner === member ? rule.matching : new Set([rule.owner]);
    if (rule.relation === 'anti-affinity') {
      return value !== undefined && this.countIn(others, rule.key, value) > 0;
    }
    for (const other of others) {
      const placed = this.placedOn.get(other);
      if (placed === undefined) continue;
      if (value === undefined || this.lookup.labelOf(placed, rule.key) !== value) return true;
    }
    return false;
  }

  private countIn(members: ReadonlySet<number>, key: string, value: string): number {
    let count = 0;
    for (const [m, node] of this.placedOn) {
      if (members.has(m) && this.lookup.labelOf(node, key) === value) count += 1;
    }
    return count;
  }
}
