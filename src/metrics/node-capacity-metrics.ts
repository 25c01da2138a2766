// Writes of the advertised `phalanx.dev/gpu-milli` node capacity (kube/gpu-milli-advertiser.ts).
import { Counter, type Registry } from 'prom-client';

export function createNodeCapacityMetrics(registry: Registry) {
  return {
    /** outcome: written, failed (each failed attempt). */
    gpuMilliWrites: new Counter({
      name: 'phalanx_node_gpu_milli_writes_total',
      help: 'Node status writes advertising phalanx.dev/gpu-milli capacity and allocatable, by outcome.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}
