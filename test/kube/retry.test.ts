import { describe, expect, it } from 'vitest';
import { retryWithBackoff } from '../../src/kube/retry.js';

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: (ms: number) => (waits.push(ms), Promise.resolve()) };
}

describe('retryWithBackoff', () => {
  it('retries with doubling delays capped at the maximum, and returns the first success', async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const result = await retryWithBackoff(
      () => (++calls < 5 ? Promise.reject(new Error(`fail ${calls}`)) : Promise.resolve('done')),
      { attempts: 6, initialDelayMs: 100, maxDelayMs: 300, sleep },
    );
    expect(result).toEqual({ ok: true, value: 'done', attempts: 5 });
    expect(waits).toEqual([100, 200, 300, 300]);
  });

  it('gives up after the last attempt with the last error, without a final wait', async () => {
    const { waits, sleep } = recorder();
    const result = await retryWithBackoff(() => Promise.reject(new Error('down')), {
      attempts: 3,
      initialDelayMs: 10,
      maxDelayMs: 1_000,
      sleep,
    });
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe(3);
    expect('error' in result && (result.error as Error).message).toBe('down');
    expect(waits).toEqual([10, 20]);
  });

  it('stops at once when a failure cannot be cured by waiting', async () => {
    const { waits, sleep } = recorder();
    const result = await retryWithBackoff(() => Promise.reject(new Error('404')), {
      attempts: 5,
      initialDelayMs: 10,
      maxDelayMs: 100,
      sleep,
      onFailure: () => 'stop',
    });
    expect(result.attempts).toBe(1);
    expect(waits).toEqual([]);
  });

  it('ends without another attempt once the work is no longer wanted', async () => {
    const { sleep } = recorder();
    let wanted = true;
    let calls = 0;
    const result = await retryWithBackoff(
      () => {
        calls += 1;
        wanted = false;
        return Promise.reject(new Error('busy'));
      },
      { attempts: 5, initialDelayMs: 1, maxDelayMs: 1, sleep, stillWanted: () => wanted },
    );
    expect(calls).toBe(1);
    expect(result).toEqual({ ok: false, outdated: true, attempts: 1 });
  });
});
