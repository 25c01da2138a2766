// Trace pods for replay tests: the rows a trace CSV holds, with fixed CPU and memory.
import type { TracePod } from '../../src/replay/trace-csv.js';

/** A pod asking `numGpu` devices of `gpuMilli` each (0 GPUs: a CPU-only pod). */
export const tracePod = (name: string, numGpu: number, gpuMilli: number): TracePod => ({
  name,
  cpuMilli: 1000,
  memoryMib: 10,
  numGpu,
  gpuMilli,
  gpuSpec: [],
});
