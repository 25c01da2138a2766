// Loopback ports for the processes the testbed starts (Phalanx's listeners, Kueue's, benchmarks').
import { createServer, type Server } from 'node:net';

/** Ports handed out in this process: the kernel may offer a released port again. */
const handedOut = new Set<number>();

/** A port held by a listener of this process, so that nothing else binds it until released. */
export interface PortHold {
  readonly port: number;
  /** Closes the placeholder listener; call right before the process that binds the port starts. */
  release(): Promise<void>;
}

function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve({ server, port: address.port });
      else server.close(() => reject(new Error('no port')));
    });
  });
}

const closed = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * A free TCP port on 127.0.0.1 that this process has not handed out before, kept bound by a
 * placeholder listener until released. While it is held, the kernel offers it to nothing else: not
 * to a port-0 bind (kwokctl picks its control plane's ports that way while the cluster comes up) and
 * not to an outgoing connection. The placeholder does not keep the process alive.
 */
export async function holdFreePort(): Promise<PortHold> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { server, port } = await listenOnFreePort();
    if (handedOut.has(port)) {
      await closed(server);
      continue;
    }
    handedOut.add(port);
    server.unref();
    let released: Promise<void> | undefined;
    return { port, release: () => (released ??= closed(server)) };
  }
  throw new Error('no free port the kernel offered was new after 100 attempts');
}

/**
 * A free TCP port on 127.0.0.1 that this process has not handed out before, released at once (the
 * caller binds it soon after; holdFreePort when something else may start in between). The kernel may
 * offer a released port again at once: two ports asked for in a row (extender, webhook) once came
 * back equal and Phalanx could not listen.
 */
export async function freePort(): Promise<number> {
  const hold = await holdFreePort();
  await hold.release();
  return hold.port;
}
