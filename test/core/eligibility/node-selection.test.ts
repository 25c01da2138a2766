// nodeSelector and required node affinity, with cases taken from upstream's semantics
// (k8s.io/apimachinery labels.Requirement, component-helpers nodeaffinity).
import { describe, expect, it } from 'vitest';
import type { NodeSelectorRequirementShape, NodeSelectorTermShape } from '../../../src/core/kube-shapes.js';
import {
  matchesNodeSelector,
  matchesRequiredNodeAffinity,
  nodeSelectorTermsMatch,
  parseInt64,
} from '../../../src/core/eligibility/node-selection.js';
import { node, pod } from './fixtures.js';

const gpuNode = node({ name: 'n1', labels: { zone: 'z1', gpus: '8', model: 'H100', odd: 'eight' } });

const expr = (key: string, operator: string, values?: string[]): NodeSelectorRequirementShape =>
  values === undefined ? { key, operator } : { key, operator, values };
const term = (...matchExpressions: NodeSelectorRequirementShape[]): NodeSelectorTermShape => ({
  matchExpressions,
});
const fields = (...matchFields: NodeSelectorRequirementShape[]): NodeSelectorTermShape => ({ matchFields });

describe('matchesNodeSelector', () => {
  it.each<[string, Record<string, string>, Record<string, string>, boolean]>([
    ['empty selector matches any node', {}, {}, true],
    ['one pair present', { zone: 'z1' }, { zone: 'z1', pool: 'a' }, true],
    ['all pairs present', { zone: 'z1', pool: 'a' }, { zone: 'z1', pool: 'a' }, true],
    ['value differs', { zone: 'z1' }, { zone: 'z2' }, false],
    ['label missing', { zone: 'z1' }, {}, false],
    ['one of two pairs missing', { zone: 'z1', pool: 'a' }, { zone: 'z1' }, false],
    ['empty value needs the label', { flag: '' }, {}, false],
    ['empty value present', { flag: '' }, { flag: '' }, true],
    ['inherited property is not a label', { constructor: 'x' }, {}, false],
  ])('%s', (_name, nodeSelector, labels, expected) => {
    expect(matchesNodeSelector(pod({ nodeSelector }), node({ labels }))).toBe(expected);
  });
});

describe('required node affinity: one expression', () => {
  it.each<[string, NodeSelectorRequirementShape, boolean]>([
    ['In with the value', expr('zone', 'In', ['z0', 'z1']), true],
    ['In without the value', expr('zone', 'In', ['z2']), false],
    ['In on a missing label', expr('rack', 'In', ['r1']), false],
    ['In with no values is malformed', expr('zone', 'In', []), false],
    ['NotIn with the value', expr('zone', 'NotIn', ['z1']), false],
    ['NotIn with other values', expr('zone', 'NotIn', ['z2', 'z3']), true],
    ['NotIn on a missing label matches', expr('rack', 'NotIn', ['r1']), true],
    ['NotIn with no values is malformed', expr('rack', 'NotIn'), false],
    ['Exists on a present label', expr('zone', 'Exists'), true],
    ['Exists on a missing label', expr('rack', 'Exists'), false],
    ['Exists with values is malformed', expr('zone', 'Exists', ['z1']), false],
    ['DoesNotExist on a missing label', expr('rack', 'DoesNotExist'), true],
    ['DoesNotExist on a present label', expr('zone', 'DoesNotExist'), false],
    ['Gt below the label', expr('gpus', 'Gt', ['4']), true],
    ['Gt equal to the label', expr('gpus', 'Gt', ['8']), false],
    ['Gt with a negative bound', expr('gpus', 'Gt', ['-1']), true],
    ['Gt with a leading plus sign', expr('gpus', 'Gt', ['+7']), true],
    ['Lt above the label', expr('gpus', 'Lt', ['10']), true],
    ['Lt equal to the label', expr('gpus', 'Lt', ['8']), false],
    ['Gt on a non-integer label', expr('odd', 'Gt', ['1']), false],
    ['Gt on a string label', expr('model', 'Lt', ['1000']), false],
    ['Gt with a non-integer value', expr('gpus', 'Gt', ['4.5']), false],
    ['Gt with a word', expr('gpus', 'Gt', ['four']), false],
    ['Gt with two values', expr('gpus', 'Gt', ['1', '2']), false],
    ['Gt without values', expr('gpus', 'Gt'), false],
    ['Lt on a missing label', expr('rack', 'Lt', ['100']), false],
    ['Gt beyond int64', expr('gpus', 'Lt', ['9223372036854775808']), false],
    ['unknown operator', expr('zone', 'Equals', ['z1']), false],
  ])('%s', (_name, requirement, expected) => {
    expect(matchesRequiredNodeAffinity(pod({ terms: [term(requirement)] }), gpuNode)).toBe(expected);
  });
});

describe('required node affinity: terms and fields', () => {
  it.each<[string, NodeSelectorTermShape[], boolean]>([
    ['an empty list of terms matches nothing', [], false],
    ['an empty term matches nothing', [{}], false],
    ['a term with empty lists matches nothing', [{ matchExpressions: [], matchFields: [] }], false],
    ['terms are ORed', [term(expr('zone', 'In', ['z2'])), term(expr('zone', 'In', ['z1']))], true],
    ['expressions are ANDed', [term(expr('zone', 'In', ['z1']), expr('gpus', 'Gt', ['16']))], false],
    ['all expressions hold', [term(expr('zone', 'In', ['z1']), expr('gpus', 'Gt', ['4']))], true],
    ['a malformed expression fails its term', [term(expr('zone', 'In', ['z1']), expr('x', 'In', []))], false],
    [
      'a malformed term does not spoil another',
      [term(expr('x', 'Exists', ['v'])), term(expr('zone', 'Exists'))],
      true,
    ],
    ['metadata.name In the name', [fields(expr('metadata.name', 'In', ['n1']))], true],
    ['metadata.name In another name', [fields(expr('metadata.name', 'In', ['n2']))], false],
    ['metadata.name NotIn another name', [fields(expr('metadata.name', 'NotIn', ['n2']))], true],
    ['metadata.name NotIn the name', [fields(expr('metadata.name', 'NotIn', ['n1']))], false],
    ['a field needs exactly one value', [fields(expr('metadata.name', 'In', ['n1', 'n2']))], false],
    ['only metadata.name is a field', [fields(expr('metadata.uid', 'In', ['n1']))], false],
    ['fields take In or NotIn only', [fields(expr('metadata.name', 'Exists'))], false],
    [
      'expressions and fields are ANDed (both hold)',
      [
        {
          matchExpressions: [expr('zone', 'In', ['z1'])],
          matchFields: [expr('metadata.name', 'In', ['n1'])],
        },
      ],
      true,
    ],
    [
      'expressions and fields are ANDed (field fails)',
      [
        {
          matchExpressions: [expr('zone', 'In', ['z1'])],
          matchFields: [expr('metadata.name', 'In', ['n9'])],
        },
      ],
      false,
    ],
  ])('%s', (_name, terms, expected) => {
    expect(nodeSelectorTermsMatch(terms, gpuNode)).toBe(expected);
    expect(matchesRequiredNodeAffinity(pod({ terms }), gpuNode)).toBe(expected);
  });

  it('a pod without required node affinity matches every node', () => {
    expect(matchesRequiredNodeAffinity(pod(), gpuNode)).toBe(true);
    const preferredOnly = { spec: { affinity: { nodeAffinity: {} } } };
    expect(matchesRequiredNodeAffinity(preferredOnly, gpuNode)).toBe(true);
  });
});

describe('parseInt64 (strconv.ParseInt base 10)', () => {
  it.each<[string, bigint | undefined]>([
    ['0', 0n],
    ['-12', -12n],
    ['+7', 7n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775808', undefined],
    ['', undefined],
    ['1.0', undefined],
    ['1e3', undefined],
    [' 1', undefined],
    ['0x10', undefined],
  ])('%j', (text, expected) => {
    expect(parseInt64(text)).toBe(expected);
  });
});
