import { describe, expect, it } from 'vitest';
import { NodeAccount } from '../../../src/core/ledger/node-account.js';
import { nodeCapacity } from '../../../src/core/topology/domain-summary.js';
import { nodeInventory, GIB } from '../../../testbed/gpu-fabric.js';
import { share } from '../../support/assignments.js';

describe('NodeAccount state', () => {
  it('reports each device as the applied assignments left it', () => {
    const account = new NodeAccount(nodeInventory('a', 4));
    account.apply(share('a', 1, 300, 10 * GIB), 1);
    account.apply({ node: 'a', whole: true, devices: [{ index: 3, milli: 1000, memoryBytes: 0 }] }, 1);
    expect(account.state().devices).toEqual([
      { index: 0, memoryBytes: 80 * GIB, usedMilli: 0, usedMemoryBytes: 0, mode: 'free' },
      { index: 1, memoryBytes: 80 * GIB, usedMilli: 300, usedMemoryBytes: 10 * GIB, mode: 'shared' },
      { index: 2, memoryBytes: 80 * GIB, usedMilli: 0, usedMemoryBytes: 0, mode: 'free' },
      { index: 3, memoryBytes: 80 * GIB, usedMilli: 1000, usedMemoryBytes: 80 * GIB, mode: 'whole' },
    ]);
    account.apply(share('a', 1, 300, 10 * GIB), -1);
    expect(account.state().devices[1]).toEqual({
      index: 1,
      memoryBytes: 80 * GIB,
      usedMilli: 0,
      usedMemoryBytes: 0,
      mode: 'free',
    });
  });

  it('shares equal device states and capacities between nodes (heap per node)', () => {
    const a = new NodeAccount(nodeInventory('a', 8));
    const b = new NodeAccount(nodeInventory('b', 8));
    a.apply(share('a', 2, 500, 10 * GIB), 1);
    b.apply(share('b', 2, 500, 10 * GIB), 1);
    a.state().devices.forEach((d, i) => expect(b.state().devices[i]).toBe(d));
    expect(Object.isFrozen(a.state().devices[2])).toBe(true);
    expect(nodeCapacity(a.state())).toBe(nodeCapacity(b.state()));
    b.apply(share('b', 3, 100, 10 * GIB), 1);
    expect(b.state().devices[3]).not.toBe(a.state().devices[3]);
    expect(nodeCapacity(b.state())).not.toBe(nodeCapacity(a.state()));
  });

  it('gives a new state object on each change and the same one otherwise', () => {
    const account = new NodeAccount(nodeInventory('a', 2));
    const before = account.state();
    expect(account.state()).toBe(before);
    account.apply(share('a', 5, 300), 1);
    expect(account.state()).toBe(before);
    account.apply(share('a', 0, 300), 1);
    const after = account.state();
    expect(after).not.toBe(before);
    expect(Object.isFrozen(after) && Object.isFrozen(after.devices)).toBe(true);
    expect(before.devices[0]?.usedMilli).toBe(0);
    expect(after.inventory).toBe(before.inventory);
  });

  it('tells shared from free by the milli left once shares go, and frees a device given whole', () => {
    const account = new NodeAccount(nodeInventory('a', 1));
    account.apply(share('a', 0, 1, GIB), 1);
    account.apply(share('a', 0, 400, GIB), 1);
    account.apply(share('a', 0, 400, GIB), -1);
    expect(account.state().devices[0]).toMatchObject({ usedMilli: 1, usedMemoryBytes: GIB, mode: 'shared' });
    expect(
      account.fitProblem({ node: 'a', whole: true, devices: [{ index: 0, milli: 1000, memoryBytes: 0 }] }),
    ).toMatch(/holds fractions \(1m used\)/);
    account.apply(share('a', 0, 1, GIB), -1);
    expect(account.state().devices[0]).toMatchObject({ usedMilli: 0, usedMemoryBytes: 0, mode: 'free' });
    const all = { node: 'a', whole: true, devices: [{ index: 0, milli: 1000, memoryBytes: 0 }] };
    account.apply(all, 1);
    expect(account.fitProblem(share('a', 0, 1))).toMatch(/given whole/);
    account.apply(all, -1);
    expect(account.state().devices[0]).toMatchObject({ usedMilli: 0, usedMemoryBytes: 0, mode: 'free' });
    expect(account.fitProblem(share('a', 0, 1000))).toBeUndefined();
  });

  it('lists holders once each, in arrival order, and hands them to the account that replaces it', () => {
    const account = new NodeAccount(nodeInventory('a', 2));
    for (const uid of ['p1', 'p2', 'p1', 'p3']) account.addHolder(uid);
    account.dropHolder('p2');
    account.dropHolder('absent');
    expect(account.holders()).toEqual(['p1', 'p3']);
    const next = new NodeAccount(nodeInventory('a', 4));
    next.adoptHolders(account);
    next.addHolder('p4');
    expect(next.holders()).toEqual(['p1', 'p3', 'p4']);
    expect(account.holders()).toEqual(['p1', 'p3']);
  });
});
