// Whole-gang placement: every member at once, inside one topology domain, never wider than the
// required level; the preferred level first, otherwise the tightest level that fits. Per level the
// domain summaries rule out, in O(domains), every domain that cannot hold the whole gang (a domain
// for 3 of 4 members is no candidate); the rest are ranked by how fully the gang would fill them
// (big domains stay whole for big gangs) and checked exactly, node by node, best first.
import type { ClusterState } from '../cluster-state.js';
import { NODE_LEVEL } from '../names.js';
import type { Assignment, NodeGpuState, PodDemand, TopologyConstraint } from '../types.js';
import { packMembers, type DeviceChooser, type MemberFit } from './domain-packing.js';
import { describeMembers, gangNeed, summaryAdmits, wholeSlots, type GangNeed } from './gang-need.js';

/** Level recorded when a gang without a required level could only be placed across the cluster. */
export const CLUSTER_LEVEL = 'cluster';

export interface GangPlanRequest {
  /** Group name, for explanations. */
  readonly name: string;
  /** Members still to place (bound members are anchors, not members). */
  readonly members: readonly PodDemand[];
  readonly topology: TopologyConstraint;
  /** Nodes of members already bound: the domain must contain every one of them. */
  readonly anchorNodes?: readonly string[];
  readonly choose?: DeviceChooser;
  /** Where each member may run besides GPUs (see PackScope); absent = anywhere with GPUs. */
  readonly fit?: MemberFit;
  /**
   * Says which nodes the members may use, for explanations ("among nodes matching pool=a"); set
   * together with `fit` when it excludes nodes.
   */
  readonly scope?: string;
}

export interface GangPlan {
  readonly ok: true;
  /** The level achieved: a level label key, "node", or "cluster". */
  readonly level: string;
  readonly domain: string;
  /** Index-aligned with the request's members. */
  readonly assignments: readonly Assignment[];
}

export type GangPlanResult = GangPlan | { readonly ok: false; readonly reason: string };

/** The levels to try, in order: preferred first, then tightest to widest, never past required. */
export function levelsToTry(allLevels: readonly string[], topology: TopologyConstraint): string[] {
  const required = topology.required === undefined ? -1 : allLevels.indexOf(topology.required);
  const allowed = required >= 0 ? allLevels.slice(0, required + 1) : [...allLevels, CLUSTER_LEVEL];
  const preferred = topology.preferred;
  if (preferred === undefined || !allowed.includes(preferred)) return allowed;
  return [preferred, ...allowed.filter((level) => level !== preferred)];
}

interface Candidate {
  readonly domain: string;
  readonly fill: number;
}

export function planGang(state: ClusterState, request: GangPlanRequest): GangPlanResult {
  const need = gangNeed(request.members);
  const levels = levelsToTry(state.graph.allLevels, request.topology);
  // Multi-GPU members get device sets inside one NVLink island if any domain of the level allows it.
  const multiGpu = request.members.some((m) => m.gpu.kind === 'whole' && m.gpu.count > 1);
  for (const level of levels) {
    const candidates = candidateDomains(state, level, need, request.anchorNodes ?? []);
    for (const strictIslands of multiGpu ? [true, false] : [false]) {
      for (const candidate of candidates) {
        const names = [...domainNodes(state, level, candidate.domain)];
        const nodes = nodeStates(state, names);
        const hosts = hostsAround(state, names, level, request);
        const groupsOf = subDomains(state, level);
        const result = packMembers(nodes, request.members, {
          strictIslands,
          ...(hosts ? { hosts } : {}),
          ...(groupsOf ? { groupsOf } : {}),
          ...(request.choose ? { choose: request.choose } : {}),
          ...(request.fit ? { fit: request.fit } : {}),
        });
        if (result.placed === request.members.length) {
          return {
            ok: true,
            level,
            domain: candidate.domain,
            assignments: result.assignments as Assignment[],
          };
        }
      }
    }
  }
  return { ok: false, reason: explainNoPlan(state, request, need, levels) };
}

/**
 * Members without GPUs (a frontend, a router) need only the required level: when the GPU members
 * are packed into a tighter domain, the CPU-only ones may use any node of the required-level domain
 * around it (its CPU-only nodes first). Undefined when they share the GPU members' domain.
 */
function hostsAround(
  state: ClusterState,
  names: readonly string[],
  level: string,
  request: GangPlanRequest,
): NodeGpuState[] | undefined {
  const required = request.topology.required;
  if (!request.members.some((m) => m.gpu.kind === 'none')) return undefined;
  if (required === undefined || level === CLUSTER_LEVEL || rank(state, required) <= rank(state, level)) {
    return undefined;
  }
  const first = names[0];
  const around = first === undefined ? undefined : state.graph.domainOf(first, required);
  return around === undefined ? undefined : nodeStates(state, state.graph.nodesIn(required, around));
}

/**
 * At a level wider than the tightest (a rack, a zone, the cluster), the domains of every level
 * inside it, outermost first (a zone's racks, then their cliques): a gang that spans them is packed
 * into as few as it can.
 */
function subDomains(
  state: ClusterState,
  level: string,
): ((node: string) => readonly (string | undefined)[]) | undefined {
  const levels = state.graph.allLevels;
  const at = level === CLUSTER_LEVEL ? levels.length : levels.indexOf(level);
  const inner = levels
    .slice(0, Math.max(0, at))
    .filter((l) => l !== NODE_LEVEL)
    .reverse();
  if (inner.length === 0) return undefined;
  return (node) => inner.map((l) => state.graph.domainOf(node, l));
}

/** Domains of a level that may hold the gang, best fill first (ties by name). */
function candidateDomains(
  state: ClusterState,
  level: string,
  need: GangNeed,
  anchors: readonly string[],
): Candidate[] {
  if (level === CLUSTER_LEVEL) return [{ domain: CLUSTER_LEVEL, fill: 0 }];
  const anchorDomain = sharedDomain(state, level, anchors);
  if (anchorDomain === null) return [];
  const out: Candidate[] = [];
  const consider = (domain: string, summary: Parameters<typeof summaryAdmits>[0]): void => {
    if (!summaryAdmits(summary, need)) return;
    out.push({ domain, fill: summary.freeMilli > 0 ? need.totalMilli / summary.freeMilli : 0 });
  };
  if (anchorDomain !== undefined) {
    const summary = state.graph.summary(level, anchorDomain);
    if (summary) consider(anchorDomain, summary);
    return out;
  }
  for (const [domain, summary] of state.graph.summaries(level)) consider(domain, summary);
  return out.sort((a, b) => b.fill - a.fill || (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
}

/** The one domain holding every anchor; undefined without anchors; null when they are split. */
function sharedDomain(
  state: ClusterState,
  level: string,
  anchors: readonly string[],
): string | null | undefined {
  let shared: string | undefined;
  for (const node of anchors) {
    const domain = state.graph.domainOf(node, level);
    if (shared !== undefined && domain !== shared) return null;
    shared = domain;
  }
  return shared;
}

function domainNodes(state: ClusterState, level: string, domain: string): Iterable<string> {
  return level === CLUSTER_LEVEL ? state.nodes() : state.graph.nodesIn(level, domain);
}

function nodeStates(state: ClusterState, names: Iterable<string>): NodeGpuState[] {
  const out: NodeGpuState[] = [];
  for (const name of names) {
    const node = state.nodeState(name);
    if (node !== undefined) out.push(node);
  }
  return out;
}

const EXPLAIN_TOP_DOMAINS = 3;
const EXPLAIN_TOP_DOMAINS_CONSTRAINED = 200;

/**
 * "group llama-0 needs 4 pods × 8 GPUs within one nvidia.com/gpu.clique domain; the best domain,
 * fabric-1.000, has room for 3". Measured at the widest level the gang may use: the few domains
 * with the most room by their summaries are packed exactly, partially.
 */
function explainNoPlan(
  state: ClusterState,
  request: GangPlanRequest,
  need: GangNeed,
  levels: readonly string[],
): string {
  const widest = levels.reduce((a, b) => (rank(state, b) > rank(state, a) ? b : a));
  const anchors = request.anchorNodes ?? [];
  const what = describeMembers(request.members).replace(/^(\d+) /, anchors.length > 0 ? '$1 more ' : '$1 ');
  const head = `group ${request.name} needs ${what}`;
  const among = request.scope ? ` ${request.scope}` : '';
  const next = anchors.length > 0 ? ` next to its bound members on ${[...new Set(anchors)].join(', ')}` : '';
  if (widest === CLUSTER_LEVEL) {
    const room = roomIn(state, [...state.nodes()], request);
    return `${head}${next}${among}; the cluster has room for ${room}`;
  }
  const scope = widest === NODE_LEVEL ? 'on one node' : `within one ${widest} domain`;
  const anchorDomain = sharedDomain(state, widest, anchors);
  if (anchorDomain === null) return `${head}${next} ${scope}, but its bound members already span several`;
  // With member constraints the roomiest domains by GPUs may be ones the members cannot use: weigh more.
  const top = request.fit ? EXPLAIN_TOP_DOMAINS_CONSTRAINED : EXPLAIN_TOP_DOMAINS;
  const ranked =
    anchorDomain !== undefined
      ? [anchorDomain]
      : [...state.graph.summaries(widest)]
          .map(([domain, summary]) => ({ domain, room: roughRoom(summary, need) }))
          .sort((a, b) => b.room - a.room || (a.domain < b.domain ? -1 : 1))
          .slice(0, top)
          .map((d) => d.domain);
  let best: { domain: string; room: number } | undefined;
  for (const domain of ranked) {
    const room = roomIn(state, state.graph.nodesIn(widest, domain), request);
    if (best === undefined || room > best.room) best = { domain, room };
  }
  if (best === undefined) return `${head}${next} ${scope}${among}; no such domain has GPUs`;
  return `${head}${next} ${scope}${among}; the best domain, ${best.domain}, has room for ${best.room}`;
}

function rank(state: ClusterState, level: string): number {
  return level === CLUSTER_LEVEL ? Number.MAX_SAFE_INTEGER : state.graph.allLevels.indexOf(level);
}

function roomIn(state: ClusterState, names: Iterable<string>, request: GangPlanRequest): number {
  return packMembers(nodeStates(state, names), request.members, {
    strictIslands: false,
    partial: true,
    ...(request.fit ? { fit: request.fit } : {}),
  }).placed;
}

/** Cheap ordering key for explanations: free milli, or whole-device slots for whole-GPU gangs. */
function roughRoom(summary: Parameters<typeof wholeSlots>[0], need: GangNeed): number {
  const k = need.wholeCounts[0];
  return k !== undefined ? wholeSlots(summary, k) * 1_000_000 + summary.freeMilli : summary.freeMilli;
}
