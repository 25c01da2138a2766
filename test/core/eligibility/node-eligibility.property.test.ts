// Properties of the composed node-level Filter rules over random pods, nodes and usages.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PodShape, TolerationShape } from '../../../src/core/kube-shapes.js';
import {
  nodeAdmitsPod,
  nodeEligibility,
  type Eligibility,
  type EligibilityRule,
} from '../../../src/core/eligibility/node-eligibility.js';
import { firstUntoleratedTaint } from '../../../src/core/eligibility/taints.js';
import { node, pod, smaller, toleration, usage, usageOnly } from './arbitraries.js';

/** kube-scheduler's Filter order; an eligible node is past every rule. */
const ORDER: readonly EligibilityRule[] = [
  'unschedulable',
  'not-ready',
  'taint',
  'node-selector',
  'node-affinity',
  'host-port',
  'too-many-pods',
  'insufficient-resource',
];
const stage = (e: Eligibility): number => (e.ok ? ORDER.length : ORDER.indexOf(e.rule));

const withTolerations = (p: PodShape, extra: TolerationShape[]): PodShape => ({
  ...p,
  spec: { ...p.spec, tolerations: [...(p.spec?.tolerations ?? []), ...extra] },
});

describe('node eligibility properties', () => {
  it('adding a toleration never moves the first broken rule earlier (so eligible stays eligible)', () => {
    fc.assert(
      fc.property(pod, node, usage, toleration, (p, n, u, t) => {
        const before = nodeEligibility(p, n, u);
        const after = nodeEligibility(withTolerations(p, [t]), n, u);
        expect(stage(after)).toBeGreaterThanOrEqual(stage(before));
        if (before.ok) expect(after).toEqual({ ok: true });
      }),
      { numRuns: 500 },
    );
  });

  it('tolerating each taint exactly (Equal, same key, value and effect) clears the taint rule', () => {
    fc.assert(
      fc.property(pod, node, (p, n) => {
        const exact = (n.spec?.taints ?? []).map((t) => ({
          key: t.key,
          operator: 'Equal',
          value: t.value,
          effect: t.effect,
        }));
        expect(firstUntoleratedTaint(withTolerations(p, exact), n)).toBeUndefined();
      }),
    );
  });

  it('a pod that fits a usage still fits any smaller usage', () => {
    fc.assert(
      fc.property(
        pod,
        node,
        usage.chain((u) => fc.tuple(fc.constant(u), smaller(u))),
        (generated, n, [u, less]) => {
          for (const p of [generated, usageOnly(generated)]) {
            const more = nodeEligibility(p, n, u);
            expect(stage(nodeEligibility(p, n, less))).toBeGreaterThanOrEqual(stage(more));
            if (more.ok) expect(nodeEligibility(p, n, less)).toEqual({ ok: true });
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('eligible implies statically admitted; statically refused is refused for the same reason', () => {
    fc.assert(
      fc.property(pod, node, usage, (p, n, u) => {
        const full = nodeEligibility(p, n, u);
        const admitted = nodeAdmitsPod(p, n);
        if (full.ok) expect(admitted.ok).toBe(true);
        if (!admitted.ok) expect(full).toEqual(admitted);
      }),
    );
  });
});
