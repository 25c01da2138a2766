// Properties of the single rules: node selection, host ports, requests.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeShape, PodShape } from '../../../src/core/kube-shapes.js';
import { hostPortConflicts } from '../../../src/core/eligibility/host-ports.js';
import { matchesNodeSelector, nodeSelectorTermsMatch } from '../../../src/core/eligibility/node-selection.js';
import { podRequests } from '../../../src/core/eligibility/resources.js';
import { hostPort, key, labels, value } from './arbitraries.js';

describe('single-rule properties', () => {
  it('a nodeSelector drawn from the node labels passes; one with a key the node lacks fails', () => {
    fc.assert(
      fc.property(labels, fc.func(fc.boolean()), key, value, (nodeLabels, keep, extraKey, extraValue) => {
        const n: NodeShape = { metadata: { labels: nodeLabels } };
        const subset = Object.fromEntries(Object.entries(nodeLabels).filter(([k]) => keep(k)));
        expect(matchesNodeSelector({ spec: { nodeSelector: subset } }, n)).toBe(true);
        fc.pre(!Object.hasOwn(nodeLabels, extraKey));
        expect(
          matchesNodeSelector({ spec: { nodeSelector: { ...subset, [extraKey]: extraValue } } }, n),
        ).toBe(false);
      }),
    );
  });

  it('In and NotIn with the same non-empty values are complements on any node', () => {
    fc.assert(
      fc.property(labels, key, fc.array(value, { minLength: 1, maxLength: 3 }), (nodeLabels, k, values) => {
        const n: NodeShape = { metadata: { labels: nodeLabels } };
        const inTerm = [{ matchExpressions: [{ key: k, operator: 'In', values }] }];
        const notInTerm = [{ matchExpressions: [{ key: k, operator: 'NotIn', values }] }];
        expect(nodeSelectorTermsMatch(inTerm, n)).toBe(!nodeSelectorTermsMatch(notInTerm, n));
        expect(nodeSelectorTermsMatch(inTerm, n)).toBe(
          Object.hasOwn(nodeLabels, k) && values.includes(nodeLabels[k] ?? ''),
        );
      }),
    );
  });

  it('host port conflicts are symmetric', () => {
    fc.assert(
      fc.property(hostPort, hostPort, (a, b) => {
        expect(hostPortConflicts(a, [b])).toBe(hostPortConflicts(b, [a]));
      }),
    );
  });

  it('app containers’ cpu requests add up', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 5 }), (millis) => {
        const p: PodShape = {
          spec: { containers: millis.map((m) => ({ resources: { requests: { cpu: `${m}m` } } })) },
        };
        const expected = millis.reduce((a, b) => a + b, 0);
        expect(podRequests(p)['cpu'] ?? 0).toBe(expected);
      }),
    );
  });
});
