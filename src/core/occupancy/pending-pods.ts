// Pods that wait for Phalanx, with the reason they were given: the scheduler's PodScheduled=False
// message (which carries the extender's and the gang planner's reasons), or the scheduling gates
// still on the pod. Fed by the informer's pod events; pure bookkeeping, bounded by the pods the
// informer holds. Gang members are folded into one entry per gang.
import type { PodShape } from '../kube-shapes.js';
import { Req } from '../names.js';
import type { PendingCell } from './occupancy-types.js';

/** The parts of a pod's status the reason is read from (kube-shapes keeps only the phase). */
interface PodStatusShape {
  readonly phase?: string | undefined;
  readonly conditions?:
    readonly { readonly type?: string; readonly status?: string; readonly message?: string }[] | undefined;
}

/** Reasons are shown on a page and in terminals: long scheduler messages are cut here. */
export const MAX_REASON_CHARS = 400;

interface PendingPod {
  readonly key: string;
  readonly reason: string;
  readonly gang?: string;
  readonly size?: number;
}

function reasonOf(pod: PodShape): string {
  const gates = pod.spec?.schedulingGates ?? [];
  if (gates.length > 0) return `scheduling gated: ${gates.map((g) => g.name).join(', ')}`;
  const status = pod.status as PodStatusShape | undefined;
  const scheduled = status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const message = scheduled?.message?.trim();
  if (message === undefined || message === '') return 'waiting to be scheduled';
  return message.length > MAX_REASON_CHARS ? `${message.slice(0, MAX_REASON_CHARS - 1)}…` : message;
}

export class PendingPods {
  private readonly schedulerName: string;
  private readonly pods = new Map<string, PendingPod>();

  /** Only pods handed to `schedulerName` (the webhook sets it on every pod Phalanx places). */
  constructor(schedulerName: string) {
    this.schedulerName = schedulerName;
  }

  /** A pod was added or changed. True when the pending list changed. */
  podChanged(pod: PodShape): boolean {
    const key = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
    const waiting =
      pod.spec?.schedulerName === this.schedulerName &&
      (pod.spec?.nodeName ?? '') === '' &&
      pod.metadata?.deletionTimestamp == null &&
      (pod.status?.phase ?? 'Pending') === 'Pending';
    if (!waiting) return this.pods.delete(key);
    const group = pod.metadata?.annotations?.[Req.podGroup];
    const size = Number(pod.metadata?.annotations?.[Req.groupSize]);
    const entry: PendingPod = {
      key,
      reason: reasonOf(pod),
      ...(group ? { gang: `${pod.metadata?.namespace ?? 'default'}/${group}` } : {}),
      ...(Number.isSafeInteger(size) && size > 0 ? { size } : {}),
    };
    const before = this.pods.get(key);
    this.pods.set(key, entry);
    return before?.reason !== entry.reason || before.gang !== entry.gang;
  }

  /** True when the pod was listed. */
  podDeleted(pod: PodShape): boolean {
    return this.pods.delete(`${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`);
  }

  get size(): number {
    return this.pods.size;
  }

  /** Gangs first (one entry each, the reason of their first member by name), then pods; by key. */
  list(): PendingCell[] {
    const gangs = new Map<string, { first: PendingPod; count: number; size?: number }>();
    const pods: PendingCell[] = [];
    for (const p of this.pods.values()) {
      if (p.gang === undefined) {
        pods.push({ kind: 'pod', key: p.key, reason: p.reason });
        continue;
      }
      const g = gangs.get(p.gang);
      if (g === undefined) gangs.set(p.gang, { first: p, count: 1, ...(p.size ? { size: p.size } : {}) });
      else {
        g.count += 1;
        if (p.key < g.first.key) g.first = p;
      }
    }
    const byKey = (a: PendingCell, b: PendingCell): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    const gangCells: PendingCell[] = [...gangs].map(([key, g]) => ({
      kind: 'gang',
      key,
      reason: g.first.reason,
      pendingMembers: g.count,
      ...(g.size !== undefined ? { size: g.size } : {}),
    }));
    return [...gangCells.sort(byKey), ...pods.sort(byKey)];
  }

  /** The pending pod's reason, for search. */
  reason(key: string): string | undefined {
    return this.pods.get(key)?.reason;
  }

  /** Keys of every pending pod, for search. */
  keys(): Iterable<string> {
    return this.pods.keys();
  }
}
