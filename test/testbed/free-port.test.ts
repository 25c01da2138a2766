import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../testbed/free-port.js';

describe('freePort', () => {
  it('never hands out the same port twice in one process, and each can be bound', async () => {
    const ports: number[] = [];
    // Enough draws that the kernel's released ports come back (16 repeats in 500 measured).
    for (let i = 0; i < 600; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    const last = ports.at(-1)!;
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(last, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});
