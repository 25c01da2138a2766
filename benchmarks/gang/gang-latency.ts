// One gang through a real controller: an Indexed Job of `size` pods (parallelism = completions =
// size), its template carrying Phalanx's gang annotations for the Phalanx configuration. Measured:
// from the moment this process saw the last member created to the moment it saw every member bound.
import { BatchV1Api, type KubeConfig, type V1Job } from '@kubernetes/client-node';
import { Req } from '../../src/core/names.js';
import { forceDeletePods } from '../lib/namespaces.js';
import type { PodWatch } from '../lib/pod-watch.js';
import { benchPodAnnotations, benchPodSpec, type PodDemand } from '../lib/pods.js';

export interface GangRun {
  readonly kc: KubeConfig;
  readonly watch: PodWatch;
  readonly namespace: string;
  readonly jobName: string;
  readonly size: number;
  readonly gpusPerMember: number;
  readonly schedulerName: string;
  readonly phalanx: boolean;
  readonly timeoutMs: number;
}

/** Milliseconds from last member seen to all bound, or undefined when the gang did not bind in time. */
export async function runGang(run: GangRun): Promise<number | undefined> {
  const batch = run.kc.makeApiClient(BatchV1Api);
  const demand: PodDemand = { kind: 'whole', gpus: run.gpusPerMember };
  const gangAnnotations = run.phalanx
    ? { [Req.podGroup]: run.jobName, [Req.groupSize]: String(run.size) }
    : {};
  const job: V1Job = {
    metadata: { name: run.jobName },
    spec: {
      completionMode: 'Indexed',
      parallelism: run.size,
      completions: run.size,
      backoffLimit: 0,
      template: {
        metadata: {
          labels: { gang: run.jobName },
          annotations: { ...benchPodAnnotations(demand, run.phalanx), ...gangAnnotations },
        },
        spec: {
          ...benchPodSpec({ schedulerName: run.schedulerName, demand, phalanx: run.phalanx }),
          restartPolicy: 'Never',
        },
      },
    },
  };
  const members = () => [...run.watch.pods.values()].filter((p) => p.labels['gang'] === run.jobName);
  await batch.createNamespacedJob({ namespace: run.namespace, body: job });
  try {
    const done = await run.watch.until(() => {
      const m = members();
      return m.length >= run.size && m.every((p) => p.boundMs !== undefined);
    }, run.timeoutMs);
    if (!done) return undefined;
    const m = members();
    const lastCreated = Math.max(...m.map((p) => p.seenMs));
    const allBound = Math.max(...m.map((p) => p.boundMs ?? Infinity));
    return allBound - lastCreated;
  } finally {
    await batch.deleteNamespacedJob({
      name: run.jobName,
      namespace: run.namespace,
      propagationPolicy: 'Orphan',
    });
    await forceDeletePods(run.kc, run.namespace, `gang=${run.jobName}`);
  }
}
