// The rules of victim selection checked against a model the tests recompute on their own (which pods
// must go together, what fits once some are gone), shared by the one-node and the domain choice:
// enough is freed, only lower priorities go, a gang goes whole, no unit can be spared and, by brute
// force over every set of evictable units, none is cheaper in the documented order.
import { expect } from 'vitest';
import type { DomainVictimChoice } from '../../../src/core/preemption/domain-victims.js';
import type { VictimChoice } from '../../../src/core/preemption/victim-selection.js';
import type { RemoteMember } from '../../../src/core/preemption/victim-units.js';

/** A unit as the rule defines it: a gang with all its members, or a GPU-holding pod alone. */
export interface ModelUnit {
  readonly uids: readonly string[];
  readonly remote: readonly RemoteMember[];
  readonly priorities: readonly number[];
  readonly gpus: number;
}

export interface VictimModel {
  readonly priority: number;
  readonly pods: readonly { readonly uid: string; readonly priority: number }[];
  readonly units: readonly ModelUnit[];
  /** Does the preemptor fit once `gone` pods are evicted? */
  readonly fits: (gone: ReadonlySet<string>) => boolean;
}

/** The documented order: highest priority, then GPUs disturbed, then pods, then priority sum. */
export function costKey(set: readonly ModelUnit[]): [number, number, number, number] {
  const priorities = set.flatMap((u) => u.priorities);
  return [
    priorities.length === 0 ? -Infinity : Math.max(...priorities),
    set.reduce((n, u) => n + u.gpus, 0),
    priorities.length,
    priorities.reduce((a, b) => a + b, 0),
  ];
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}

/**
 * Checks the choice against the model; `cheapest` adds the brute-force check (only when the search
 * ran to completion). Returns the chosen units, or undefined when there was nothing to choose.
 */
export function expectRuleAbiding(
  m: VictimModel,
  choice: VictimChoice | DomainVictimChoice,
  cheapest: boolean,
): ModelUnit[] | undefined {
  const evictable = m.units.filter((u) => u.priorities.every((p) => p < m.priority));
  if (m.fits(new Set())) {
    expect(choice.kind).toBe('fits');
    return undefined;
  }
  if (!m.fits(new Set(evictable.flatMap((u) => u.uids)))) {
    expect(choice.kind).toBe('cannot-help');
    return undefined;
  }
  expect(choice.kind).toBe('victims');
  if (choice.kind !== 'victims') return undefined;
  const victims = new Set(choice.uids);
  // Frees enough.
  expect(m.fits(victims)).toBe(true);
  // Only pods of lower priority, here and elsewhere.
  for (const p of m.pods) if (victims.has(p.uid)) expect(p.priority).toBeLessThan(m.priority);
  for (const r of choice.remote) expect(r.priority).toBeLessThan(m.priority);
  // Gangs whole: a unit is in entirely (with its remote members) or not at all.
  const chosen = m.units.filter((u) => u.uids.some((uid) => victims.has(uid)));
  for (const u of chosen) {
    for (const uid of u.uids) expect(victims.has(uid)).toBe(true);
    for (const r of u.remote) expect(choice.remote).toContainEqual(r);
  }
  expect(victims.size).toBe(chosen.reduce((n, u) => n + u.uids.length, 0));
  // Minimal: no unit can be spared.
  for (const u of chosen) {
    const without = new Set([...victims].filter((uid) => !u.uids.includes(uid)));
    expect(m.fits(without)).toBe(false);
  }
  if (!cheapest) return chosen;
  let best: number[] | undefined;
  for (let mask = 1; mask < 1 << evictable.length; mask += 1) {
    const set = evictable.filter((_, i) => (mask >> i) & 1);
    if (!m.fits(new Set(set.flatMap((u) => u.uids)))) continue;
    const cost = costKey(set);
    if (best === undefined || lexLess(cost, best)) best = cost;
  }
  expect(costKey(chosen)).toEqual(best);
  return chosen;
}
