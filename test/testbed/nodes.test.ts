import { describe, expect, it } from 'vitest';
import { forEachBounded, nodeIsUsable } from '../../testbed/nodes.js';

describe('forEachBounded', () => {
  it('visits every item once and never has more than the limit in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded([...Array(25).keys()], 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, i % 3));
      seen.push(i);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
    expect(peak).toBe(4);
  });

  it('rejects with the first failure', async () => {
    await expect(
      forEachBounded([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error('boom 2');
        await Promise.resolve();
      }),
    ).rejects.toThrow('boom 2');
  });
});

describe('nodeIsUsable', () => {
  const ready = { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { 'nvidia.com/gpu': '8' } };
  it('needs Ready, no taints and the declared GPU count', () => {
    expect(nodeIsUsable({ status: ready }, 8)).toBe(true);
    expect(nodeIsUsable({ status: ready }, 4)).toBe(false);
    expect(nodeIsUsable({ status: { ...ready, conditions: [{ type: 'Ready', status: 'False' }] } }, 8)).toBe(
      false,
    );
    const tainted = {
      spec: { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] },
      status: ready,
    };
    expect(nodeIsUsable(tainted, 8)).toBe(false);
  });
});
