// Lookups over the pods the informer knows: by namespace/name (PodReader, bind), by gang key
// "<namespace>/<phalanx.dev/pod-group>" (the gang planner needs every member) and by node (preemption
// weighs every pod bound to a candidate node).
import type { PodShape } from '../core/kube-shapes.js';
import type { NodePods } from '../app/preemption/ports.js';
import type { GangMemberIndex } from '../app/ports.js';
import { podHostPorts } from '../core/eligibility/host-ports.js';
import type { NodeUsage } from '../core/eligibility/node-eligibility.js';
import { addRequests, podRequests, type ResourceAmounts } from '../core/eligibility/resources.js';
import { Req } from '../core/names.js';

export function podKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

export function gangKeyOf(pod: PodShape): string | undefined {
  const group = pod.metadata?.annotations?.[Req.podGroup];
  if (group === undefined || group === '') return undefined;
  return `${pod.metadata?.namespace ?? 'default'}/${group}`;
}

/** Summed requests; the API server validated every stored quantity, so a bad one is a pod to skip. */
function requestsOf(pods: readonly PodShape[]): ResourceAmounts {
  let total: ResourceAmounts = {};
  for (const pod of pods) {
    try {
      total = addRequests(total, podRequests(pod));
    } catch {
      continue;
    }
  }
  return total;
}

/** Pods bound before the informer knew them, remembered at most (the oldest go first). */
const MAX_ASSUMED = 10_000;

export class PodIndex implements NodePods, GangMemberIndex {
  readonly #byKey = new Map<string, PodShape>();
  readonly #byGang = new Map<string, Set<string>>();
  readonly #byNode = new Map<string, Set<string>>();
  readonly #keyByUid = new Map<string, string>();
  /** Usage per node, computed on first read after a change of any pod on it. */
  readonly #usage = new Map<string, NodeUsage>();
  /** UID → node, for pods this replica bound before the informer delivered them at all. */
  readonly #assumed = new Map<string, string>();

  upsert(incoming: PodShape): void {
    const key = podKey(incoming.metadata?.namespace, incoming.metadata?.name);
    const previous = this.#byKey.get(key);
    const pod = this.#keepingNode(incoming, previous);
    this.#touch(pod);
    if (previous !== undefined) {
      this.#touch(previous);
      this.#unlinkGang(previous, key);
      this.#unlinkNode(previous, key);
      const oldUid = previous.metadata?.uid;
      if (oldUid !== undefined && oldUid !== pod.metadata?.uid) this.#keyByUid.delete(oldUid);
    }
    this.#byKey.set(key, pod);
    const uid = pod.metadata?.uid;
    if (uid !== undefined) this.#keyByUid.set(uid, key);
    const node = pod.spec?.nodeName;
    if (node !== undefined && node !== '') {
      let onNode = this.#byNode.get(node);
      if (onNode === undefined) this.#byNode.set(node, (onNode = new Set()));
      onNode.add(key);
    }
    const gang = gangKeyOf(pod);
    if (gang !== undefined) {
      let members = this.#byGang.get(gang);
      if (members === undefined) this.#byGang.set(gang, (members = new Set()));
      members.add(key);
    }
  }

  /**
   * This replica bound the pod to `node`; the informer has not said so yet (it may trail by a
   * moment, or seconds on a starved replica). Preemption weighs the pod on its node at once, as
   * kube-scheduler's assumed pods do; the informer's own version replaces this one when it comes.
   */
  assumeBound(uid: string, node: string): void {
    const pod = this.byUid(uid);
    if (pod === undefined) {
      this.#assumed.set(uid, node);
      if (this.#assumed.size > MAX_ASSUMED) this.#assumed.delete(this.#assumed.keys().next().value ?? '');
    } else if ((pod.spec?.nodeName ?? '') === '') {
      this.upsert({ ...pod, spec: { ...pod.spec, nodeName: node } });
    }
  }

  /**
   * An incarnation's spec.nodeName never changes once set: a version without it, arriving after the
   * Binding was known (assumeBound, or an earlier version with it), is older than the Binding.
   */
  #keepingNode(incoming: PodShape, previous: PodShape | undefined): PodShape {
    const uid = incoming.metadata?.uid ?? '';
    if ((incoming.spec?.nodeName ?? '') !== '') {
      this.#assumed.delete(uid);
      return incoming;
    }
    const sameIncarnation = previous !== undefined && previous.metadata?.uid === uid;
    const node = (sameIncarnation ? previous.spec?.nodeName : undefined) || this.#assumed.get(uid);
    return node ? { ...incoming, spec: { ...incoming.spec, nodeName: node } } : incoming;
  }

  remove(pod: PodShape): void {
    const key = podKey(pod.metadata?.namespace, pod.metadata?.name);
    this.#assumed.delete(pod.metadata?.uid ?? '');
    const known = this.#byKey.get(key);
    // A stale delete for an older incarnation must not drop the pod now living under the name.
    if (known === undefined || known.metadata?.uid !== pod.metadata?.uid) return;
    this.#touch(known);
    this.#unlinkGang(known, key);
    this.#unlinkNode(known, key);
    if (known.metadata?.uid !== undefined) this.#keyByUid.delete(known.metadata.uid);
    this.#byKey.delete(key);
  }

  get(namespace: string, name: string): PodShape | undefined {
    return this.#byKey.get(podKey(namespace, name));
  }

  /** The keys of every gang with a known pod. */
  gangKeys(): IterableIterator<string> {
    return this.#byGang.keys();
  }

  /** Every known pod of the gang, in no particular order. */
  members(gangKey: string): PodShape[] {
    const keys = this.#byGang.get(gangKey);
    if (keys === undefined) return [];
    return [...keys].map((k) => this.#byKey.get(k)).filter((p): p is PodShape => p !== undefined);
  }

  /** The pod with this UID, if the informer knows it. */
  byUid(uid: string): PodShape | undefined {
    const key = this.#keyByUid.get(uid);
    return key === undefined ? undefined : this.#byKey.get(key);
  }

  /** Pods bound to the node that have not finished (Succeeded/Failed pods free their resources). */
  podsOn(node: string): PodShape[] {
    const keys = this.#byNode.get(node);
    if (keys === undefined) return [];
    return [...keys]
      .map((k) => this.#byKey.get(k))
      .filter(
        (p): p is PodShape =>
          p !== undefined && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
      );
  }

  /**
   * What the unfinished pods bound to the node take (requests, count, host ports): every pod,
   * whichever scheduler placed it, as kube-scheduler counts them.
   */
  usageOn(node: string): NodeUsage {
    let usage = this.#usage.get(node);
    if (usage === undefined) {
      const pods = this.podsOn(node);
      usage = { requested: requestsOf(pods), podCount: pods.length, hostPorts: pods.flatMap(podHostPorts) };
      this.#usage.set(node, usage);
    }
    return usage;
  }

  get size(): number {
    return this.#byKey.size;
  }

  #touch(pod: PodShape): void {
    const node = pod.spec?.nodeName;
    if (node !== undefined && node !== '') this.#usage.delete(node);
  }

  #unlinkGang(pod: PodShape, key: string): void {
    const gang = gangKeyOf(pod);
    if (gang === undefined) return;
    const members = this.#byGang.get(gang);
    members?.delete(key);
    if (members?.size === 0) this.#byGang.delete(gang);
  }

  #unlinkNode(pod: PodShape, key: string): void {
    const node = pod.spec?.nodeName;
    if (node === undefined || node === '') return;
    const onNode = this.#byNode.get(node);
    onNode?.delete(key);
    if (onNode?.size === 0) this.#byNode.delete(node);
  }
}
