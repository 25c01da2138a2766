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

export class PodIndex implements NodePods, GangMemberIndex {
  readonly #byKey = new Map<string, PodShape>();
  readonly #byGang = new Map<string, Set<string>>();
  readonly #byNode = new Map<string, Set<string>>();
  readonly #keyByUid = new Map<string, string>();
  /** Usage per node, computed on first read after a change of any pod on it. */
  readonly #usage = new Map<string, NodeUsage>();

  upsert(pod: PodShape): void {
    const key = podKey(pod.metadata?.namespace, pod.metadata?.name);
    const previous = this.#byKey.get(key);
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

  remove(pod: PodShape): void {
    const key = podKey(pod.metadata?.namespace, pod.metadata?.name);
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
