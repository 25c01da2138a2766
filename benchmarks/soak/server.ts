// Child process of bench:soak: the extender's HTTP routes in process, as bench:extender runs them
// (the real service requires mutual TLS; this is its app over plain HTTP on 127.0.0.1), over a
// synthetic fabric with half of its devices in use. Answers `heap` with its heap after a full GC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterState } from '../../src/core/cluster-state.js';
import { NodeLabel } from '../../src/core/names.js';
import { generateFabric } from '../../testbed/gpu-fabric.js';
import { fabricSpecFor } from '../extender/fabric-spec.js';
import { inProcessExtenderApp } from '../extender/in-process-app.js';

const nodes = Number(process.argv[2] ?? '1000');
const policy = process.argv[3] ?? 'phalanx';

export interface HeapReport {
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  readonly external: number;
}

function heap(): HeapReport {
  if (globalThis.gc === undefined) throw new Error('run with --expose-gc');
  // Twice: weak references and finalizers let go of more on the second pass.
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsedBytes: m.heapUsed, rssBytes: m.rss, external: m.external };
}

const fabric = generateFabric(fabricSpecFor(nodes));
const { state } = ClusterState.restore({}, fabric.inventories, fabric.occupied);
const app = inProcessExtenderApp(state, {
  policy,
  levels: [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone],
  bodyLimitBytes: 1024 * 1024,
});
const server = createServer(app);
server.keepAliveTimeout = 120_000;
process.on('message', (message) => {
  if (message === 'heap') process.send?.({ heap: heap() });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({
    port,
    nodes: fabric.inventories.length,
    nodeNames: fabric.inventories.map((n) => n.name),
  });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
