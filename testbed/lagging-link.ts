// A TCP relay that delivers the server's bytes late: the client behind it sees every response and
// every watch event `lagMs` after the other clients of that server do (its own bytes go through at
// once). The e2e suite puts it between Phalanx and the API server, so that Phalanx's informers trail
// kube-scheduler's as a busy replica's do. TLS passes through untouched: the API server's certificate
// names 127.0.0.1, whatever the port.
import { connect, createServer, type Socket } from 'node:net';

export interface LaggingLink {
  /** The relay's port on 127.0.0.1. */
  readonly port: number;
  close(): Promise<void>;
}

export async function startLaggingLink(
  target: { readonly host: string; readonly port: number },
  lagMs: number,
): Promise<LaggingLink> {
  if (!Number.isFinite(lagMs) || lagMs < 0 || lagMs > 10_000)
    throw new Error(`lagMs must be within 0..10000, got ${lagMs}`);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream);
    // Timers of one duration fire in the order they were set: the bytes keep their order.
    const later = (fn: () => void) => setTimeout(fn, lagMs);
    upstream.on('data', (chunk: Buffer) => later(() => client.destroyed || client.write(chunk)));
    upstream.on('end', () => later(() => client.end()));
    upstream.on('error', () => later(() => client.destroy()));
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the lagging link has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
