// Child process of bench:extender: the extender HTTP service alone over a synthetic fabric with half
// of its devices in use. Reports its port and the heap the ledger + topology take per node. With
// `tls`, it serves HTTPS requiring a client certificate, as `phalanx serve` does (extender-server.ts),
// and hands the load generator the client's certificate.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterState } from '../../src/core/cluster-state.js';
import { createExtenderServer } from '../../src/server/extender-server.js';
import { generateFabric } from '../../testbed/gpu-fabric.js';
import { loopbackCa, loopbackClient, loopbackServing } from '../../testbed/loopback-certs.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fabricSpecFor } from './fabric-spec.js';
import { inProcessExtenderApp } from './in-process-app.js';
import { tuneGarbageCollector } from '../../src/cli/gc-tuning.js';

// The collector as `phalanx serve` tunes it.
tuneGarbageCollector();
const nodes = Number(process.argv[2] ?? '1000');
const policy = process.argv[3] ?? 'binpack';
const tls = process.argv[4] === 'tls';
// argv[5] 'bind': binds are served against the ledger (in-process-app.ts); argv[6] 'ahead': the
// handler computes prioritize ahead.

function heapUsed(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

const fabric = generateFabric(fabricSpecFor(nodes));
/** Heap the state of the fabric's nodes takes with these holdings, per node. */
function heapPerNode(holdings: typeof fabric.occupied): { state: ClusterState; bytes: number } {
  const start = heapUsed();
  const restored = ClusterState.restore({}, fabric.inventories, holdings).state;
  return { state: restored, bytes: Math.round((heapUsed() - start) / fabric.inventories.length) };
}
// The same nodes without their pods first: what a node costs apart from what is bound on it.
const heapBytesPerEmptyNode = heapPerNode([]).bytes;
const { state, bytes: heapBytesPerNode } = heapPerNode(fabric.occupied);

const app = inProcessExtenderApp(state, {
  policy,
  levels: [],
  bodyLimitBytes: 256 * 1024 * 1024,
  binds: process.argv[5] === 'bind',
  prioritizeAhead: process.argv[6] === 'ahead',
});
/** Certificates for mutual TLS on loopback; the client's pair goes to the load generator. */
async function tlsServer() {
  const ca = await loopbackCa('bench-extender-ca', 1);
  const serving = await loopbackServing(ca, 1);
  const client = await loopbackClient(ca, 'phalanx-scheduler', 1);
  const dir = await mkdtemp(join(tmpdir(), 'bench-extender-'));
  const files = {
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    clientCaFile: join(dir, 'ca.crt'),
  };
  await writeFile(files.certFile, serving.certPem);
  await writeFile(files.keyFile, serving.keyPem);
  await writeFile(files.clientCaFile, ca.certPem);
  const extender = await createExtenderServer(app, { kind: 'mtls', files });
  return { server: extender.server, client: { ca: ca.certPem, cert: client.certPem, key: client.keyPem } };
}

const { server, client } = tls ? await tlsServer() : { server: createServer(app), client: undefined };
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
  // CPU time is what a loaded machine distorts least: other processes stretch wall time, not this.
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({
    port,
    client,
    heapBytesPerNode,
    heapBytesPerEmptyNode,
    podsPerNode: Math.round((fabric.occupied.length / fabric.inventories.length) * 10) / 10,
    nodes: fabric.inventories.length,
    nodeNames: fabric.inventories.map((n) => n.name),
  });
});
process.on('disconnect', () => process.exit(0));
// bench:extender stops this process with SIGINT; exiting normally lets --cpu-prof write its profile.
process.on('SIGINT', () => process.exit(0));
