// Class ids: dense, equal for nodes alike but for names and device order, and handed out afresh
// (after telling the owner) once the index is full.
import { describe, expect, it } from 'vitest';
import { NodeClasses } from '../../../src/app/placement/node-classes.js';
import type { DeviceState, NodeGpuState } from '../../../src/core/types.js';

const GIB = 2 ** 30;

function device(
  index: number,
  mode: DeviceState['mode'],
  usedMilli: number,
  usedMemoryBytes = 0,
): DeviceState {
  return { index, memoryBytes: 16 * GIB, usedMilli, usedMemoryBytes, mode };
}

function node(name: string, devices: DeviceState[], model = 'A'): NodeGpuState {
  return {
    inventory: {
      name,
      devices: devices.map((d) => ({ index: d.index, memoryBytes: d.memoryBytes })),
      model,
      islands: [],
      labels: {},
      unschedulable: false,
    },
    devices,
  };
}

describe('NodeClasses', () => {
  it('gives nodes alike but for names and device order one id, and others the next ones', () => {
    const classes = new NodeClasses();
    const a = node('a', [device(0, 'free', 0), device(1, 'shared', 500, GIB)]);
    const b = node('b', [device(0, 'shared', 500, GIB), device(1, 'free', 0)]);
    const c = node('c', [device(0, 'free', 0), device(1, 'free', 0)]);
    const d = node('d', [device(0, 'free', 0), device(1, 'shared', 500, GIB)], 'B');
    expect([a, b, c, d].map((n) => classes.idOf(n))).toEqual([0, 0, 1, 2]);
    expect(classes.size()).toBe(3);
  });

  it('counts a device given whole and a shared one with every milli used as one state', () => {
    const classes = new NodeClasses();
    const whole = node('w', [device(0, 'whole', 1000, 16 * GIB), device(1, 'free', 0)]);
    const full = node('f', [device(0, 'shared', 1000, 3 * GIB), device(1, 'free', 0)]);
    const almost = node('s', [device(0, 'shared', 999, 3 * GIB), device(1, 'free', 0)]);
    expect(classes.idOf(full)).toBe(classes.idOf(whole));
    expect(classes.idOf(almost)).not.toBe(classes.idOf(whole));
  });

  it('tells its owner, then hands ids out from 0 again, once the index is full', () => {
    let resets = 0;
    const classes = new NodeClasses(() => resets++, 2);
    const nodes = [0, 250, 500].map((used) => node(`n${used}`, [device(0, used ? 'shared' : 'free', used)]));
    expect(nodes.map((n) => classes.idOf(n))).toEqual([0, 1, 0]);
    expect(resets).toBe(1);
    expect(classes.idOf(nodes[2]!)).toBe(0);
    expect(classes.idOf(nodes[0]!)).toBe(1);
  });
});
