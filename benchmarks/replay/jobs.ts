// Replay jobs spread over worker threads (one (trace, policy, seed) replay each). Jobs are pure CPU;
// results come back in completion order, tagged with their job.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PhalanxWeights } from '../../src/core/policies/phalanx.js';
import type { ReplayPolicyName } from '../../src/replay/replay-policies.js';
import type { SeedResult } from '../../src/replay/run-replay.js';

export interface ReplayJob {
  readonly trace: string;
  readonly policy: ReplayPolicyName;
  readonly seed: number;
  readonly weights?: PhalanxWeights;
  /** Result label when it is not the policy name (e.g. "phalanx-heldout"). */
  readonly label?: string;
}

export interface ReplayJobResult extends SeedResult {
  readonly job: ReplayJob;
}

type Reply = { ok: ReplayJobResult } | { error: string };

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** Runs every job on `workers` threads; rejects on the first failing job. */
export async function runJobs(
  jobs: readonly ReplayJob[],
  workers: number,
  onResult?: (result: ReplayJobResult, done: number) => void,
): Promise<ReplayJobResult[]> {
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 64) {
    throw new Error(`workers must be an integer in 1..64, got ${workers}`);
  }
  const results: ReplayJobResult[] = [];
  let next = 0;
  const threads = Array.from({ length: Math.min(workers, jobs.length) }, () => {
    const worker = new Worker(new URL('./worker.ts', import.meta.url));
    return new Promise<void>((resolve, reject) => {
      const feed = (): void => {
        const job = jobs[next++];
        if (job === undefined) {
          void worker.terminate().then(() => resolve());
          return;
        }
        worker.postMessage(job);
      };
      worker.on('message', (reply: Reply) => {
        if ('error' in reply) {
          void worker.terminate();
          reject(new Error(reply.error));
          return;
        }
        results.push(reply.ok);
        onResult?.(reply.ok, results.length);
        feed();
      });
      worker.on('error', reject);
      feed();
    });
  });
  await Promise.all(threads);
  return results;
}
