// Borrowing where Kueue runs: what each ClusterQueue borrows from its cohort, per flavor and resource,
// read from Kueue's own status at scrape time (kube/kueue-queues.ts). Absent Kueue, no series.
import { Gauge, type Registry } from 'prom-client';
import type { BorrowedShare } from '../core/types.js';

export function createKueueMetrics(registry: Registry, borrowed: () => Promise<readonly BorrowedShare[]>) {
  return {
    borrowed: new Gauge({
      name: 'phalanx_kueue_borrowed',
      help: 'Quota a Kueue ClusterQueue borrows from its cohort (status.flavorsUsage borrowed), per flavor and resource; phalanx.dev/gpu-milli in milli-GPU.',
      labelNames: ['cluster_queue', 'flavor', 'resource'] as const,
      registers: [registry],
      async collect() {
        const shares = await borrowed();
        this.reset();
        for (const s of shares) {
          this.set({ cluster_queue: s.clusterQueue, flavor: s.flavor, resource: s.resource }, s.borrowed);
        }
      },
    }),
  };
}
