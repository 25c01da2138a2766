// Phalanx's own preemption decision, for what kube-scheduler cannot preempt: a whole gang (a domain of
// its required level must hold every member) and a GPU share (one device of one node). Every
// candidate domain gets its cheapest minimal victim set (domain-victims.ts for gangs, the one-node
// choice of victim-selection.ts for shares: the same units and cost order the /preempt verb uses);
// a set some PodDisruptionBudget forbids rules its domain out; the domain whose set costs least wins
// (ties: by name). The result also says where the preemptor will go once the victims are gone, so the
// freed capacity can be held for it.
import { candidateAssignments } from '../ledger/device-fit.js';
import { demandMilli, packMembers, type MemberFit } from '../gang/domain-packing.js';
import type { Assignment, NodeGpuState, PodDemand } from '../types.js';
import { selectDomainVictims } from './domain-victims.js';
import { nodeStateWithout } from './freed-state.js';
import { selectVictims } from './victim-selection.js';
import {
  compareCost,
  type RemoteMember,
  type UnitOptions,
  type VictimCandidate,
  type VictimCost,
  type VictimSet,
  type VictimUnit,
} from './victim-units.js';

export interface PreemptionDomain {
  /** A topology level label key, or "node" for a share. */
  readonly level: string;
  readonly name: string;
  readonly nodes: readonly NodeGpuState[];
  /** Pods bound to the domain's nodes. */
  readonly pods: readonly VictimCandidate[];
  /** Members of those pods' gangs bound outside the domain, by gang key: they go with their gang. */
  readonly remoteMembers?: ReadonlyMap<string, readonly RemoteMember[]>;
}

export interface PreemptionQuery {
  readonly preemptorPriority: number;
  /** The preemptor's gang: never its own victim. */
  readonly preemptorGangKey?: string | undefined;
  readonly domains: readonly PreemptionDomain[];
  /** Why evicting these pods (UIDs, gang members elsewhere included) is not allowed, e.g. a PDB. */
  readonly refusal?: (uids: readonly string[]) => string | undefined;
  readonly searchBudget?: number;
}

export interface GangPreemptionQuery extends PreemptionQuery {
  /** The gang's members still to place. */
  readonly members: readonly PodDemand[];
  /** Where each member may run besides GPUs (selectors, taints, host resources). */
  readonly fit?: MemberFit;
}

export interface SharePreemptionQuery extends PreemptionQuery {
  readonly demand: PodDemand;
}

/** One domain's victims and where the preemptor goes once they are gone. */
interface Evictions {
  readonly units: readonly VictimUnit[];
  /** Every UID to evict, in the domain and beyond it (gang members elsewhere), sorted. */
  readonly uids: readonly string[];
  readonly remote: readonly RemoteMember[];
  readonly cost: VictimCost;
  /** Where the preemptor goes once the victims are gone (gangs: index-aligned with members). */
  readonly assignments: readonly Assignment[];
}

export type PreemptionDecision =
  /** The preemptor fits somewhere already: nothing to evict. */
  | { readonly kind: 'fits'; readonly domain: string }
  | { readonly kind: 'none'; readonly reason: string }
  | ({
      readonly kind: 'victims';
      readonly level: string;
      readonly domain: string;
      /** Domains skipped because a budget forbade their cheapest set. */
      readonly refused: readonly string[];
    } & Evictions);

interface Choice extends Evictions {
  readonly domain: PreemptionDomain;
}

type PerDomain = { kind: 'fits' } | { kind: 'skip'; reason: string } | { kind: 'choice'; choice: Choice };

export function planGangPreemption(q: GangPreemptionQuery): PreemptionDecision {
  const pack = (nodes: readonly NodeGpuState[]) =>
    packMembers(nodes, q.members, { strictIslands: false, ...(q.fit ? { fit: q.fit } : {}) });
  const needMilli = q.members.reduce((sum, m) => sum + demandMilli(m), 0);
  return decide(q, (domain, exact, bound) => {
    const choice = selectDomainVictims({
      ...unitOptions(q, domain),
      nodes: domain.nodes,
      pods: domain.pods,
      fits: (nodes) => pack(nodes).placed === q.members.length,
      exact,
      needMilli,
      ...(q.searchBudget === undefined ? {} : { searchBudget: q.searchBudget }),
      ...(bound === undefined ? {} : { costBound: bound }),
    });
    if (choice.kind === 'fits') return { kind: 'fits' };
    if (choice.kind === 'costlier') return { kind: 'skip', reason: 'costlier than the chosen domain' };
    if (choice.kind === 'cannot-help') return { kind: 'skip', reason: choice.reason };
    const packed = pack(choice.freed);
    return chosen(
      domain,
      choice,
      packed.assignments.filter((a): a is Assignment => a !== undefined),
    );
  });
}

export function planSharePreemption(q: SharePreemptionQuery): PreemptionDecision {
  return decide(q, (domain) => {
    const node = domain.nodes[0];
    if (node === undefined || domain.nodes.length !== 1)
      return { kind: 'skip', reason: 'a share is preempted for on one node' };
    const choice = selectVictims({
      ...unitOptions(q, domain),
      demand: q.demand,
      node,
      pods: domain.pods,
      ...(q.searchBudget === undefined ? {} : { searchBudget: q.searchBudget }),
    });
    if (choice.kind === 'fits') return { kind: 'fits' };
    if (choice.kind === 'cannot-help') return { kind: 'skip', reason: choice.reason };
    const freed = nodeStateWithout(
      node,
      choice.units.flatMap((u) => u.holdings),
    );
    const assignment = candidateAssignments(freed, q.demand)[0];
    if (assignment === undefined) return { kind: 'skip', reason: 'no device set after eviction' };
    return chosen(domain, choice, [assignment]);
  });
}

function unitOptions(q: PreemptionQuery, domain: PreemptionDomain): UnitOptions {
  return {
    preemptorPriority: q.preemptorPriority,
    ...(q.preemptorGangKey === undefined ? {} : { preemptorGangKey: q.preemptorGangKey }),
    ...(domain.remoteMembers === undefined ? {} : { remoteMembers: domain.remoteMembers }),
  };
}

/** A domain's victim set as a choice: its UIDs widened to the gang members beyond the domain. */
function chosen(domain: PreemptionDomain, set: VictimSet, assignments: readonly Assignment[]): PerDomain {
  const uids = [...new Set([...set.uids, ...set.remote.map((r) => r.uid)])].sort();
  return {
    kind: 'choice',
    choice: { domain, units: set.units, uids, remote: set.remote, cost: set.cost, assignments },
  };
}

/** Domains whose greedy choice is cheapest get the exact search too. */
const EXACT_DOMAINS = 3;

/**
 * Every domain's cheap (greedy, minimal) choice first; the few cheapest are then searched exactly,
 * bounded by the best choice so far; then the cheapest choice no budget forbids wins (ties: name).
 */
function decide(
  q: PreemptionQuery,
  evaluate: (domain: PreemptionDomain, exact: boolean, bound: VictimCost | undefined) => PerDomain,
): PreemptionDecision {
  const skipped = new Map<string, number>();
  const skip = (reason: string): void => void skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  const byName = (a: Choice, b: Choice): number =>
    a.domain.name < b.domain.name ? -1 : a.domain.name > b.domain.name ? 1 : 0;
  const order = (a: Choice, b: Choice): number => compareCost(a.cost, b.cost) || byName(a, b);
  const choices: Choice[] = [];
  for (const domain of q.domains) {
    const result = evaluate(domain, false, undefined);
    if (result.kind === 'fits') return { kind: 'fits', domain: domain.name };
    if (result.kind === 'skip') skip(result.reason);
    else choices.push(result.choice);
  }
  choices.sort(order);
  for (let i = 0; i < Math.min(EXACT_DOMAINS, choices.length); i += 1) {
    const current = choices[i];
    if (current === undefined) continue;
    const refined = evaluate(current.domain, true, current.cost);
    if (refined.kind === 'choice') choices[i] = refined.choice;
  }
  choices.sort(order);
  const refused: string[] = [];
  for (const choice of choices) {
    const refusal = q.refusal?.(choice.uids);
    if (refusal === undefined) {
      const { domain, ...evictions } = choice;
      return { kind: 'victims', level: domain.level, domain: domain.name, ...evictions, refused };
    }
    refused.push(choice.domain.name);
    skip(refusal);
  }
  const reasons = [...skipped].map(([reason, n]) => `${n} domain(s): ${reason}`);
  return {
    kind: 'none',
    reason: reasons.length > 0 ? reasons.slice(0, 3).join('; ') : 'no candidate domain',
  };
}
