// Lookups over the pods the informer knows: by namespace/name (PodReader, bind) and by gang key
// "<namespace>/<phalanx.dev/pod-group>" (the gang planner needs every member).
import type { PodShape } from '../core/kube-shapes.js';
import { Req } from '../core/names.js';

export function podKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

export function gangKeyOf(pod: PodShape): string | undefined {
  const group = pod.metadata?.annotations?.[Req.podGroup];
  if (group === undefined || group === '') return undefined;
  return `${pod.metadata?.namespace ?? 'default'}/${group}`;
}

export class PodIndex {
  readonly #byKey = new Map<string, PodShape>();
  readonly #byGang = new Map<string, Set<string>>();

  upsert(pod: PodShape): void {
    const key = podKey(pod.metadata?.namespace, pod.metadata?.name);
    const previous = this.#byKey.get(key);
    if (previous !== undefined) this.#unlinkGang(previous, key);
    this.#byKey.set(key, pod);
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
    this.#unlinkGang(known, key);
    this.#byKey.delete(key);
  }

  get(namespace: string, name: string): PodShape | undefined {
    return this.#byKey.get(podKey(namespace, name));
  }

  /** Every known pod of the gang, in no particular order. */
  gangMembers(gangKey: string): PodShape[] {
    const keys = this.#byGang.get(gangKey);
    if (keys === undefined) return [];
    return [...keys].map((k) => this.#byKey.get(k)).filter((p): p is PodShape => p !== undefined);
  }

  get size(): number {
    return this.#byKey.size;
  }

  #unlinkGang(pod: PodShape, key: string): void {
    const gang = gangKeyOf(pod);
    if (gang === undefined) return;
    const members = this.#byGang.get(gang);
    members?.delete(key);
    if (members?.size === 0) this.#byGang.delete(gang);
  }
}
