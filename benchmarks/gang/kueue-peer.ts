// bench:gang's Kueue peer: each gang is one Kueue pod group (its `size` pods created at once, held
// by Kueue's scheduling gates until the group is complete and admitted; topology-aware, preferring
// one clique, with the admin objects of kueue-tas-objects.ts), bound by the stock scheduler. Kueue
// has no Job-level gang here on purpose: with a queued Job Kueue admits before the Job controller
// creates any pod, so "last member created → all bound" would leave its admission out.
// Measured as for the other configurations: last member seen created → every member seen bound.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { clearKueueNamespace } from '../lib/kueue-bench.js';
import { kueueGangMemberMeta } from '../lib/kueue-tas-objects.js';
import { forceDeletePods } from '../lib/namespaces.js';
import { watchPods } from '../lib/pod-watch.js';
import { benchPod } from '../lib/pods.js';
import type { Progress } from '../lib/progress.js';

export const KUEUE_GANG_NAMESPACE = 'bench-gang-kueue';

export interface KueuePeerRun {
  readonly kc: KubeConfig;
  readonly sizes: readonly number[];
  readonly repeats: number;
  readonly gpusPerMember: number;
  readonly schedulerName: string;
  readonly timeoutMs: number;
  readonly progress: Progress;
}

/** Kueue must be running with its admin objects applied (startKueueForBench). Samples (ms) per gang size; gangs not bound whole within the timeout are left out. */
export async function runKueuePeer(run: KueuePeerRun): Promise<Map<number, number[]>> {
  const core = run.kc.makeApiClient(CoreV1Api);
  const namespace = KUEUE_GANG_NAMESPACE;
  const watch = await watchPods(run.kc, namespace);
  const samples = new Map<number, number[]>();
  try {
    for (const size of run.sizes) {
      const got: number[] = [];
      for (let r = 0; r < run.repeats; r++) {
        const group = `kueue-${size}-${r}-${Date.now().toString(36)}`;
        const meta = kueueGangMemberMeta(group, size);
        await Promise.all(
          Array.from({ length: size }, (_, i) =>
            core.createNamespacedPod({
              namespace,
              body: benchPod({
                name: `${group}-${i}`,
                schedulerName: run.schedulerName,
                demand: { kind: 'whole', gpus: run.gpusPerMember },
                phalanx: false,
                labels: { gang: group, ...meta.labels },
                annotations: meta.annotations,
              }),
            }),
          ),
        );
        const members = () => [...watch.pods.values()].filter((p) => p.labels['gang'] === group);
        const done = await watch.until(() => {
          const m = members();
          return m.length >= size && m.every((p) => p.boundMs !== undefined);
        }, run.timeoutMs);
        if (done) {
          const m = members();
          got.push(Math.max(...m.map((p) => p.boundMs ?? Infinity)) - Math.max(...m.map((p) => p.seenMs)));
        }
        await clearKueueNamespace(run.kc, namespace);
        await forceDeletePods(run.kc, namespace);
        run.progress.increment(`kueue gang of ${size}`);
      }
      samples.set(size, got);
    }
  } finally {
    watch.stop();
  }
  return samples;
}
