// What one pod object says about GPU use, decided from the pod alone: nothing (not bound, finished),
// a Phalanx decision (the gpu-devices annotation), or whole GPUs bound by another scheduler, whose
// devices we must pick ourselves so they are never handed out twice — and the one rule that applies
// such facts to a ledger (restart recovery and the live informer alike): Phalanx's own decisions
// first, then the devices of pods placed by others on what is left.
// Capacity placeholders (core/autoscaling) are such pods on purpose: counted like any whole-GPU pod,
// so no share or gang member is planned onto a device one holds (why: autoscaling/placeholder-reconcile.ts).
import { decodeAssignment } from '../assignment-codec.js';
import type { PodShape } from '../kube-shapes.js';
import { Decision, Req, Resource } from '../names.js';
import { parsePodDemand } from '../pod-demand.js';
import { effectivePodAmount, extendedResourceAmount } from '../pod-resources.js';
import { parseCount } from '../quantity.js';
import type { Assignment, NodeGpuState } from '../types.js';
import { candidateAssignments } from './device-fit.js';
import type { LedgerResult } from './gpu-ledger.js';

export type PodFact =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'annotated';
      readonly node: string;
      readonly raw: string;
      readonly assignment: Assignment;
    }
  | { readonly kind: 'external'; readonly node: string; readonly count: number }
  /** Bound and using GPUs, but how cannot be known; reported, never silently dropped. */
  | { readonly kind: 'unreadable'; readonly node: string; readonly reason: string };

export interface FactOutcome {
  readonly fact: PodFact;
  /** A problem to report even though a fact was derived (e.g. garbage annotation, counted as whole GPUs). */
  readonly problem?: string;
}

const NONE: PodFact = Object.freeze({ kind: 'none' });
const wholeGpus = extendedResourceAmount(Resource.nvidiaGpu, parseCount);

/** Succeeded and Failed pods hold nothing; a terminating pod (deletionTimestamp) still does. */
export function isTerminal(pod: PodShape): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function podFact(pod: PodShape): FactOutcome {
  const node = pod.spec?.nodeName;
  if (node === undefined || node === '' || isTerminal(pod)) return { fact: NONE };
  const raw = pod.metadata?.annotations?.[Decision.gpuDevices];
  if (raw !== undefined) {
    try {
      return { fact: { kind: 'annotated', node, raw, assignment: decodeAssignment(node, raw) } };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const whole = wholeGpuCount(pod);
      // The device plugin gave the pod real devices: count them, so nothing is double-allocated.
      if (typeof whole === 'number' && whole > 0)
        return { fact: { kind: 'external', node, count: whole }, problem: reason };
      return { fact: { kind: 'unreadable', node, reason } };
    }
  }
  const whole = wholeGpuCount(pod);
  if (typeof whole === 'string') return { fact: { kind: 'unreadable', node, reason: whole } };
  if (whole > 0) return { fact: { kind: 'external', node, count: whole } };
  if (usesGpuShares(pod)) {
    return {
      fact: {
        kind: 'unreadable',
        node,
        reason: `pod asks for a GPU share but was bound without the ${Decision.gpuDevices} decision (placed by another scheduler?)`,
      },
    };
  }
  return { fact: NONE };
}

/** Whole nvidia.com/gpu devices the pod uses (containers summed, init containers by peak), or why unreadable. */
function wholeGpuCount(pod: PodShape): number | string {
  try {
    return effectivePodAmount(pod, wholeGpus);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function usesGpuShares(pod: PodShape): boolean {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[Req.gpuFraction] !== undefined || annotations[Req.gpuMemory] !== undefined) return true;
  try {
    const gpu = parsePodDemand(pod).gpu;
    return gpu.kind === 'fraction' || gpu.kind === 'memory';
  } catch {
    return false;
  }
}

export function sameFact(a: PodFact, b: PodFact): boolean {
  switch (a.kind) {
    case 'none':
      return b.kind === 'none';
    case 'annotated':
      return b.kind === 'annotated' && a.node === b.node && a.raw === b.raw;
    case 'external':
      return b.kind === 'external' && a.node === b.node && a.count === b.count;
    case 'unreadable':
      return b.kind === 'unreadable' && a.node === b.node && a.reason === b.reason;
  }
}

/** What applying a fact needs of a ledger (GpuLedger and ClusterState both are one). */
export interface FactLedger {
  commit(uid: string, assignment: Assignment): LedgerResult;
  nodeState(node: string): NodeGpuState | undefined;
}

export type FactResult =
  | { readonly ok: true; readonly picked?: Assignment }
  | { readonly ok: false; readonly node: string; readonly reason: string };

/**
 * Applies one pod's fact: a decision is committed as written; a pod placed by another scheduler
 * gets the lowest free whole-device set (cordoning does not matter for a pod already bound);
 * an unreadable fact is refused with its reason. Nothing is dropped silently.
 */
export function applyFact(ledger: FactLedger, uid: string, fact: PodFact): FactResult {
  switch (fact.kind) {
    case 'none':
      return { ok: true };
    case 'unreadable':
      return { ok: false, node: fact.node, reason: fact.reason };
    case 'annotated': {
      const result = ledger.commit(uid, fact.assignment);
      return result.ok ? { ok: true } : { ok: false, node: fact.node, reason: result.reason };
    }
    case 'external': {
      const node = ledger.nodeState(fact.node);
      if (node === undefined) {
        return { ok: false, node: fact.node, reason: `bound to node ${fact.node}, which reports no GPUs` };
      }
      const open = { ...node, inventory: { ...node.inventory, unschedulable: false } };
      const pick = candidateAssignments(open, { gpu: { kind: 'whole', count: fact.count }, topology: {} })[0];
      if (pick === undefined) {
        const reason = `uses ${fact.count} whole GPU(s) but node ${fact.node} has no such set free`;
        return { ok: false, node: fact.node, reason };
      }
      const result = ledger.commit(uid, pick);
      return result.ok ? { ok: true, picked: pick } : { ok: false, node: fact.node, reason: result.reason };
    }
  }
}

/** The restart order: Phalanx's decisions first (they name devices), then the rest, each stably. */
export function inRestartOrder<T extends { readonly fact: PodFact }>(entries: readonly T[]): T[] {
  return [
    ...entries.filter((e) => e.fact.kind === 'annotated'),
    ...entries.filter((e) => e.fact.kind !== 'annotated'),
  ];
}
