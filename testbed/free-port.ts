// Loopback ports for the processes the testbed starts (Phalanx's listeners, Kueue's, benchmarks').
import { createServer } from 'node:net';

/** Ports freePort has handed out in this process: the kernel may offer a released port again. */
const handedOut = new Set<number>();

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A free TCP port on 127.0.0.1 that this process has not handed out before. The kernel picks it and
 * it is released before the caller binds it, so the kernel may offer it again at once: two ports
 * asked for in a row (extender, webhook) once came back equal and Phalanx could not listen.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port the kernel offered was new after 100 attempts');
}
