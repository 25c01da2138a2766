// Worker thread of the replay benchmarks: replays one (trace, policy, seed) job at a time.
import { parentPort } from 'node:worker_threads';
import type { ReplayJob, ReplayJobResult } from './jobs.js';
import { traceNodes, tracePods } from './traces.js';
import { replaySeed } from '../../src/replay/run-replay.js';

parentPort?.on('message', (job: ReplayJob) => {
  try {
    const result = replaySeed(
      {
        policy: job.policy,
        nodes: traceNodes(),
        pods: tracePods(job.trace),
        podsFile: job.trace,
        seeds: [job.seed],
        ...(job.weights ? { phalanxWeights: job.weights } : {}),
      },
      job.seed,
      () => performance.now(),
    );
    const reply: ReplayJobResult = { job, ...result };
    parentPort?.postMessage({ ok: reply });
  } catch (err) {
    parentPort?.postMessage({
      error: `${job.trace} ${job.policy} seed ${job.seed}: ${(err as Error).message}`,
    });
  }
});
