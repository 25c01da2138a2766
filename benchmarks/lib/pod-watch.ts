// Watches the pods of one namespace and records, per pod, when this process first saw it (creation)
// and first saw it with spec.nodeName (binding), on one monotonic clock. All timings in the benchmarks
// come from here, so creation and binding are observed the same way.
import { Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export interface PodTimes {
  seenMs: number;
  boundMs?: number;
  node?: string;
  labels: Record<string, string>;
}

export interface PodWatch {
  readonly pods: ReadonlyMap<string, PodTimes>;
  boundCount(): number;
  /** Resolves when `done()` is true (checked on every event and every 200 ms) or rejects after `timeoutMs`. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean>;
  stop(): void;
}

/** A namespace's pod watch that reconnects on its own, with a wait on the state its events build. */
export interface NamespaceWatch {
  /** Resolves true when `done()` holds (checked on every event and every `pollMs`), false after `timeoutMs`. */
  readonly until: (done: () => boolean, timeoutMs: number) => Promise<boolean>;
  readonly stop: () => void;
}

/**
 * Calls `onEvent` for every pod event of the namespace until stopped. Watches end on server
 * timeouts; reconnecting re-lists, so callers keep the first time they saw each thing.
 */
export async function watchNamespacePods(
  kc: KubeConfig,
  namespace: string,
  onEvent: (phase: string, pod: V1Pod) => void,
  pollMs = 200,
): Promise<NamespaceWatch> {
  const waiters = new Set<() => void>();
  let failure: unknown;
  let stopped = false;
  let abort: AbortController | undefined;
  const handle = (phase: string, pod: V1Pod): void => {
    onEvent(phase, pod);
    for (const wake of waiters) wake();
  };
  const start = async (): Promise<void> => {
    abort = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { allowWatchBookmarks: false },
      handle,
      (err: unknown) => {
        if (stopped) return;
        if (err) failure = err;
        void start().catch((e: unknown) => (failure = e));
      },
    );
  };
  await start();
  return {
    until: (done, timeoutMs) => {
      return new Promise((resolve) => {
        const finish = (value: boolean): void => {
          waiters.delete(check);
          clearInterval(tick);
          clearTimeout(timer);
          resolve(value);
        };
        const check = (): void => {
          if (done()) finish(true);
        };
        const tick = setInterval(check, pollMs);
        const timer = setTimeout(() => finish(false), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () => {
      stopped = true;
      abort?.abort();
      if (failure !== undefined)
        process.stderr.write(
          `pod watch on ${namespace} had an error: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}\n`,
        );
    },
  };
}

export async function watchPods(kc: KubeConfig, namespace: string): Promise<PodWatch> {
  const pods = new Map<string, PodTimes>();
  let bound = 0;
  const watch = await watchNamespacePods(kc, namespace, (phase, pod) => {
    const name = pod.metadata?.name;
    if (name === undefined) return;
    const now = performance.now();
    if (phase === 'DELETED') {
      const gone = pods.get(name);
      if (gone?.boundMs !== undefined) bound--;
      pods.delete(name);
      return;
    }
    let times = pods.get(name);
    if (times === undefined) {
      times = { seenMs: now, labels: pod.metadata?.labels ?? {} };
      pods.set(name, times);
    }
    const node = pod.spec?.nodeName;
    if (node && times.boundMs === undefined) {
      times.boundMs = now;
      times.node = node;
      bound++;
    }
  });
  return { pods, boundCount: () => bound, until: watch.until, stop: watch.stop };
}
