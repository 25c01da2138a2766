// Loopback ports for the processes the testbed starts (Phalanx's listeners, Kueue's, benchmarks').
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/**
 * Ports are drawn below the kernel's ephemeral range. A port in that range is what the kernel gives
 * every outgoing connection and every port-0 bind: between the testbed releasing a port and Phalanx
 * binding it (a second or two of module loading), a client connection of the control plane once took
 * it and Phalanx failed with EADDRINUSE. Below the range only an explicit bind can take a port.
 */
const LOWEST_PORT = 10_000;
const MIN_PORTS = 1_000;
const ATTEMPTS = 200;

/** The first port of the kernel's ephemeral range (Linux's own default where it cannot be read). */
export function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(low);
    if (Number.isInteger(port) && port > 0) return port;
  } catch {
    // not Linux, or /proc not mounted
  }
  return 32_768;
}

const HIGHEST_PORT = ephemeralRangeStart() - 1;

/** Ports handed out in this process, never handed out twice. */
const handedOut = new Set<number>();

/** A port held by a listener of this process, so that nothing else binds it until released. */
export interface PortHold {
  readonly port: number;
  /** Closes the placeholder listener; call right before the process that binds the port starts. */
  release(): Promise<void>;
}

function tryListen(port: number): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(undefined);
      else reject(error);
    });
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const closed = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * A free TCP port on 127.0.0.1 below the ephemeral range that this process has not handed out
 * before, kept bound by a placeholder listener until released. The placeholder does not keep the
 * process alive.
 */
export async function holdFreePort(): Promise<PortHold> {
  if (HIGHEST_PORT - LOWEST_PORT + 1 < MIN_PORTS) {
    throw new Error(
      `the kernel's ephemeral range starts at ${HIGHEST_PORT + 1}: fewer than ${MIN_PORTS} ports lie between ` +
        `${LOWEST_PORT} and it; lower net.ipv4.ip_local_port_range's first value`,
    );
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (HIGHEST_PORT - LOWEST_PORT + 1));
    if (handedOut.has(port)) continue;
    const server = await tryListen(port);
    if (!server) continue;
    handedOut.add(port);
    server.unref();
    let released: Promise<void> | undefined;
    return { port, release: () => (released ??= closed(server)) };
  }
  throw new Error(`no free port between ${LOWEST_PORT} and ${HIGHEST_PORT} after ${ATTEMPTS} attempts`);
}

/**
 * A free TCP port on 127.0.0.1 below the ephemeral range that this process has not handed out
 * before, released at once (the caller binds it soon after; holdFreePort when something else of
 * this process may bind in between).
 */
export async function freePort(): Promise<number> {
  const hold = await holdFreePort();
  await hold.release();
  return hold.port;
}
