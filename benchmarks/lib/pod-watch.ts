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

export async function watchPods(kc: KubeConfig, namespace: string): Promise<PodWatch> {
  const pods = new Map<string, PodTimes>();
  let bound = 0;
  const waiters = new Set<() => void>();
  let failure: unknown;
  let stopped = false;
  let abort: AbortController | undefined;

  const onEvent = (phase: string, pod: V1Pod): void => {
    const name = pod.metadata?.name;
    if (name === undefined) return;
    const now = performance.now();
    if (phase === 'DELETED') {
      const gone = pods.get(name);
      if (gone?.boundMs !== undefined) bound--;
      pods.delete(name);
    } else {
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
    }
    for (const wake of waiters) wake();
  };

  const start = async (): Promise<void> => {
    abort = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { allowWatchBookmarks: false },
      onEvent,
      (err: unknown) => {
        if (stopped) return;
        // Watches end on server timeouts; reconnecting re-lists, and known pods keep their first times.
        if (err) failure = err;
        void start().catch((e: unknown) => (failure = e));
      },
    );
  };
  await start();

  return {
    pods,
    boundCount: () => bound,
    until(done, timeoutMs) {
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
        const tick = setInterval(check, 200);
        const timer = setTimeout(() => finish(false), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop() {
      stopped = true;
      abort?.abort();
      if (failure !== undefined)
        process.stderr.write(
          `pod watch on ${namespace} had an error: ${failure instanceof Error ? failure.message : JSON.stringify(failure)}\n`,
        );
    },
  };
}
