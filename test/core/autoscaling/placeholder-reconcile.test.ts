import { describe, expect, it } from 'vitest';
import type { PlaceholderSpec } from '../../../src/core/autoscaling/placeholder-plan.js';
import {
  reconcilePlaceholders,
  type ObservedPlaceholder,
  type PlaceholderReconcileInput,
} from '../../../src/core/autoscaling/placeholder-reconcile.js';

const spec = (
  unit: string,
  index: number,
  kind: 'gang' | 'shares' = 'gang',
  hash = 'h',
): PlaceholderSpec => ({
  name: `phalanx-placeholder-${unit}-${index}`,
  unit,
  kind,
  gpus: 1,
  cpuMilli: 0,
  memoryBytes: 0,
  constraints: {},
  demand: 'x',
  forPods: [],
  specHash: hash,
});
const seen = (s: PlaceholderSpec, o: Partial<ObservedPlaceholder> = {}): ObservedPlaceholder => ({
  name: s.name,
  uid: `uid-${s.name}`,
  unit: s.unit,
  kind: s.kind,
  specHash: s.specHash,
  deleting: false,
  finished: false,
  ...o,
});
const run = (o: Partial<PlaceholderReconcileInput>) =>
  reconcilePlaceholders({
    desired: [],
    observed: [],
    creating: new Set(),
    handedOff: new Map(),
    now: 1_000,
    handoffGraceMs: 60_000,
    partialSince: new Map(),
    stallMs: 30_000,
    domainOf: (node: string) => `dom-of-${node}`,
    ...o,
  });
const kinds = (r: ReturnType<typeof run>) =>
  r.actions.map((a) => `${a.kind}:${a.kind === 'create' ? a.spec.name : a.name}`);

describe('reconcilePlaceholders', () => {
  const g = [spec('g', 0), spec('g', 1)];

  it('creates what is missing, once', () => {
    expect(kinds(run({ desired: g }))).toEqual([
      'create:phalanx-placeholder-g-0',
      'create:phalanx-placeholder-g-1',
    ]);
    expect(kinds(run({ desired: g, observed: [seen(g[0]!)], creating: new Set([g[1]!.name]) }))).toEqual([]);
  });

  it('hands a gang off only when every placeholder is scheduled, and then waits out the grace', () => {
    const half = run({ desired: g, observed: [seen(g[0]!, { node: 'n1' }), seen(g[1]!)] });
    expect(half.actions).toEqual([]);
    const all = run({ desired: g, observed: [seen(g[0]!, { node: 'n1' }), seen(g[1]!, { node: 'n2' })] });
    expect(kinds(all).sort()).toEqual(['delete:phalanx-placeholder-g-0', 'delete:phalanx-placeholder-g-1']);
    expect(all.handoffs.get('g')).toBe(61_000);
    // Still waiting within the grace (the real pods have not retried yet): nothing new.
    expect(run({ desired: g, handedOff: all.handoffs, now: 30_000 }).actions).toEqual([]);
    expect(run({ desired: g, handedOff: all.handoffs, now: 61_000 }).actions).toHaveLength(2);
  });

  it('retries a gang stuck half placed outside the domain it got stuck in', () => {
    const c = [spec('c', 0), spec('c', 1)].map((x) => ({ ...x, colocateKey: 'clique' }));
    const observed = [seen(c[0]!, { node: 'n1' }), seen(c[1]!)];
    const first = run({ desired: c, observed });
    expect(first.actions).toEqual([]);
    expect(first.partialSince.get('c')).toBe(1_000);
    const later = run({ desired: c, observed, partialSince: first.partialSince, now: 20_000 });
    expect(later.actions).toEqual([]);
    expect(later.partialSince.get('c')).toBe(1_000);
    const stuck = run({ desired: c, observed, partialSince: later.partialSince, now: 31_000 });
    expect(stuck.stalled.get('c')).toEqual(['dom-of-n1']);
    expect(kinds(stuck).sort()).toEqual(['delete:phalanx-placeholder-c-0', 'delete:phalanx-placeholder-c-1']);
    // Once unstuck (nothing scheduled), it is no longer half placed.
    expect(
      run({ desired: c, observed: [seen(c[0]!), seen(c[1]!)], partialSince: later.partialSince }).partialSince
        .size,
    ).toBe(0);
  });

  it('hands shares off as soon as one placeholder is scheduled', () => {
    const s = [spec('s', 0, 'shares'), spec('s', 1, 'shares')];
    const r = run({ desired: s, observed: [seen(s[0]!, { node: 'n1' }), seen(s[1]!)] });
    expect(kinds(r).sort()).toEqual(['delete:phalanx-placeholder-s-0', 'delete:phalanx-placeholder-s-1']);
  });

  it('deletes placeholders whose demand is gone, changed, or that finished; leaves terminating ones', () => {
    const changed = spec('g', 0, 'gang', 'h2');
    const r = run({
      desired: [changed, spec('k', 0)],
      observed: [
        seen(g[0]!),
        seen(spec('old', 0)),
        seen(spec('k', 0), { finished: true }),
        seen(spec('z', 0), { deleting: true }),
      ],
    });
    expect(
      r.actions.map((a) => (a.kind === 'delete' ? `${a.name}:${a.reason}` : `create:${a.spec.name}`)).sort(),
    ).toEqual([
      'phalanx-placeholder-g-0:the demand changed',
      'phalanx-placeholder-k-0:finished',
      'phalanx-placeholder-old-0:no waiting demand for it',
    ]);
  });
});
