// Watches the pods of one namespace and records, per pod (by UID: reservation pods reuse their names,
// one per node and device slot), when this process first saw it, saw it bound, Running, carrying a
// GPU UUID, marked for deletion and deleted, on one monotonic clock (performance.now()). bench:fractions
// takes every timing from here and from the instants it sent its own requests.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { watchNamespacePods } from '../lib/pod-watch.js';
import { Decision } from '../../src/core/names.js';

export interface PodTimeline {
  readonly uid: string;
  readonly name: string;
  readonly seenMs: number;
  boundMs?: number;
  runningMs?: number;
  /** First seen with `phalanx.dev/gpu-uuid` (a share's from its Binding, a reservation's from `phalanx reserve`). */
  uuidMs?: number;
  node?: string;
  uuid?: string;
  /** `phalanx.dev/gpu-devices`, as bound. */
  devices?: string;
  deletingMs?: number;
  deletedMs?: number;
}

export interface PodTimelines {
  /** The newest pod of that name (by first sight). */
  latest(name: string): PodTimeline | undefined;
  all(): readonly PodTimeline[];
  /** Resolves true when `done()` holds (checked on every event and every 100 ms), false after `timeoutMs`. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean>;
  stop(): void;
}

export async function watchPodTimelines(kc: KubeConfig, namespace: string): Promise<PodTimelines> {
  const byUid = new Map<string, PodTimeline>();
  const byName = new Map<string, PodTimeline>();
  const onEvent = (phase: string, pod: V1Pod): void => {
    const uid = pod.metadata?.uid;
    const name = pod.metadata?.name;
    if (uid === undefined || name === undefined) return;
    const now = performance.now();
    let t = byUid.get(uid);
    if (t === undefined) {
      t = { uid, name, seenMs: now };
      byUid.set(uid, t);
      byName.set(name, t);
    }
    const node = pod.spec?.nodeName;
    if (node && t.boundMs === undefined) {
      t.boundMs = now;
      t.node = node;
    }
    const devices = pod.metadata?.annotations?.[Decision.gpuDevices];
    if (devices !== undefined) t.devices ??= devices;
    const uuid = pod.metadata?.annotations?.[Decision.gpuUuid];
    if (uuid && t.uuidMs === undefined) {
      t.uuidMs = now;
      t.uuid = uuid;
    }
    if (pod.status?.phase === 'Running' && t.runningMs === undefined) t.runningMs = now;
    if (pod.metadata?.deletionTimestamp && t.deletingMs === undefined) t.deletingMs = now;
    if (phase === 'DELETED' && t.deletedMs === undefined) {
      t.deletedMs = now;
      // Deleted at once (grace period 0): the deletion request and the removal are one event.
      t.deletingMs ??= now;
    }
  };
  const watch = await watchNamespacePods(kc, namespace, onEvent, 100);
  return {
    latest: (name) => byName.get(name),
    all: () => [...byUid.values()],
    until: watch.until,
    stop: watch.stop,
  };
}
