// Child process of bench:extender: the extender HTTP service alone over a synthetic fabric with half
// of its devices in use. Reports its port and the heap the ledger + topology take per node.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterState } from '../../src/core/cluster-state.js';
import { generateFabric } from '../../testbed/gpu-fabric.js';
import { fabricSpecFor } from './fabric-spec.js';
import { inProcessExtenderApp } from './in-process-app.js';

const nodes = Number(process.argv[2] ?? '1000');
const policy = process.argv[3] ?? 'binpack';

function heapUsed(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

const fabric = generateFabric(fabricSpecFor(nodes));
const before = heapUsed();
const { state } = ClusterState.restore({}, fabric.inventories, fabric.occupied);
const heapBytesPerNode = Math.round((heapUsed() - before) / fabric.inventories.length);

const app = inProcessExtenderApp(state, { policy, levels: [], bodyLimitBytes: 256 * 1024 * 1024 });
const server = createServer(app);
server.keepAliveTimeout = 120_000;
// Service time per request, from its headers to the last byte of the reply handed to the socket:
// the extender's own share of a round trip, apart from the load generator's.
const serviceMs: Record<string, number[]> = {};
server.on('request', (req: IncomingMessage, res: ServerResponse) => {
  const started = performance.now();
  res.on('finish', () => (serviceMs[req.url ?? ''] ??= []).push(performance.now() - started));
});
process.on('message', (message) => {
  if (message === 'service-times') process.send?.({ serviceMs });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({
    port,
    heapBytesPerNode,
    nodes: fabric.inventories.length,
    nodeNames: fabric.inventories.map((n) => n.name),
  });
});
process.on('disconnect', () => process.exit(0));
// bench:extender stops this process with SIGINT; exiting normally lets --cpu-prof write its profile.
process.on('SIGINT', () => process.exit(0));
