import { describe, expect, it } from 'vitest';
import { waitFor } from '../../testbed/wait.js';

describe('waitFor', () => {
  it('returns the first defined value the probe gives', async () => {
    let calls = 0;
    const value = await waitFor('third call', () => Promise.resolve(++calls === 3 ? 'ready' : undefined), {
      intervalMs: 1,
    });
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('gives up at once, with the reason and the state, when waiting is hopeless', async () => {
    const started = Date.now();
    let probes = 0;
    const waiting = waitFor(
      'a server that died',
      () => {
        probes++;
        return Promise.reject(new Error('connection refused'));
      },
      {
        timeoutMs: 60_000,
        intervalMs: 1,
        describe: () => Promise.resolve('log: EADDRINUSE'),
        hopeless: () => (probes >= 2 ? 'the process exited' : undefined),
      },
    );
    await expect(waiting).rejects.toThrow(
      'the process exited waiting for a server that died (last error: connection refused): log: EADDRINUSE',
    );
    expect(probes).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('times out naming what it waited for', async () => {
    await expect(
      waitFor('never', () => Promise.resolve(undefined), { timeoutMs: 20, intervalMs: 5 }),
    ).rejects.toThrow(/^timed out after 20 ms waiting for never$/);
  });
});
