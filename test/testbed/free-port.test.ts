import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralRangeStart, freePort, holdFreePort } from '../../testbed/free-port.js';

/** Binds the port on 127.0.0.1 and closes it again; rejects with the bind error. */
function bindOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : -1;
      server.close(() => resolve(bound));
    });
  });
}

describe('freePort', () => {
  it('never hands out the same port twice in one process, and each can be bound', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 600; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    await expect(bindOnce(ports.at(-1)!)).resolves.toBe(ports.at(-1));
  });

  it('draws below the ephemeral range, where no outgoing connection or port-0 bind can take the port', async () => {
    const start = ephemeralRangeStart();
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    expect(ports.every((port) => port >= 1024 && port < start)).toBe(true);
  });
});

describe('holdFreePort', () => {
  it('keeps its port from every other bind until released, then frees it', async () => {
    const hold = await holdFreePort();
    await expect(bindOnce(hold.port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // What kwokctl does while the cluster comes up: ports picked by binding port 0.
    const drawn: number[] = [];
    for (let i = 0; i < 600; i++) drawn.push(await bindOnce(0));
    expect(drawn).not.toContain(hold.port);
    await hold.release();
    await hold.release(); // repeatable
    await expect(bindOnce(hold.port)).resolves.toBe(hold.port);
  });
});
