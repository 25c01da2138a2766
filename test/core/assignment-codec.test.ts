import { describe, expect, it } from 'vitest';
import { decodeAssignment, encodeAssignment } from '../../src/core/assignment-codec.js';
import { AssignmentCodecError } from '../../src/core/errors.js';
import type { Assignment } from '../../src/core/types.js';

const GI = 1024 ** 3;

function codecError(fn: () => unknown): AssignmentCodecError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AssignmentCodecError);
    return error as AssignmentCodecError;
  }
  throw new Error('expected an AssignmentCodecError');
}

const cases: [string, Assignment, string][] = [
  [
    'four whole devices',
    {
      node: 'n1',
      whole: true,
      devices: [0, 1, 2, 3].map((index) => ({ index, milli: 1000, memoryBytes: 0 })),
    },
    '0,1,2,3',
  ],
  [
    'a half share',
    { node: 'n1', whole: false, devices: [{ index: 2, milli: 500, memoryBytes: 0 }] },
    '2:500m',
  ],
  [
    'a share with memory',
    { node: 'n1', whole: false, devices: [{ index: 2, milli: 500, memoryBytes: 20 * GI }] },
    '2:500m/20Gi',
  ],
  [
    'whole devices with their memory',
    {
      node: 'n1',
      whole: true,
      devices: [
        { index: 6, milli: 1000, memoryBytes: 80 * GI },
        { index: 7, milli: 1000, memoryBytes: 80 * GI },
      ],
    },
    '6/80Gi,7/80Gi',
  ],
  [
    'an odd memory amount',
    { node: 'n1', whole: false, devices: [{ index: 0, milli: 1, memoryBytes: 1536 }] },
    '0:1m/1536',
  ],
];

describe('encodeAssignment / decodeAssignment', () => {
  it.each(cases)('encodes %s', (_name, assignment, text) => {
    expect(encodeAssignment(assignment)).toBe(text);
  });

  it.each(cases)('decodes %s', (_name, assignment, text) => {
    expect(decodeAssignment('n1', text)).toEqual(assignment);
  });

  it('tolerates surrounding whitespace', () => {
    expect(decodeAssignment('n1', ' 0, 1 ')).toEqual({
      node: 'n1',
      whole: true,
      devices: [
        { index: 0, milli: 1000, memoryBytes: 0 },
        { index: 1, milli: 1000, memoryBytes: 0 },
      ],
    });
  });

  it.each([
    '',
    'abc',
    '0,0',
    '1:500m,2:250m',
    '0,1:500m',
    '1:1000m',
    '1:0m',
    '1:500',
    '-1',
    '01',
    '1:500m/0',
    '1:500m/20GB',
    '1:500m/',
    '0;1',
    '1:500m/9999999999999999Pi',
    '0,,1',
    '10000',
    '0.5',
  ])('refuses %j with a reason naming the node and the value', (text) => {
    const error = codecError(() => decodeAssignment('gpu-7', text));
    expect([error.field, error.rule]).toEqual(['phalanx.dev/gpu-devices', 'malformed']);
    expect(error.message).toContain('node gpu-7');
    expect(error.message).toContain(JSON.stringify(text));
  });

  it('says what was expected', () => {
    expect(codecError(() => decodeAssignment('n', 'zero')).message).toBe(
      'annotation phalanx.dev/gpu-devices: on a pod bound to node n: "zero" has "zero"; ' +
        'expected e.g. "0,1" (whole devices) or "2:500m/20Gi" (a share of one device)',
    );
    expect(codecError(() => decodeAssignment('n', '1:500m,2:500m')).message).toBe(
      'annotation phalanx.dev/gpu-devices: on a pod bound to node n: "1:500m,2:500m" shares 2 devices; ' +
        'a share is always on one device',
    );
  });

  it.each<[string, Assignment]>([
    ['no devices', { node: 'n', whole: true, devices: [] }],
    [
      'a whole device with 500 milli',
      { node: 'n', whole: true, devices: [{ index: 0, milli: 500, memoryBytes: 0 }] },
    ],
    [
      'a share on two devices',
      {
        node: 'n',
        whole: false,
        devices: [
          { index: 0, milli: 500, memoryBytes: 0 },
          { index: 1, milli: 500, memoryBytes: 0 },
        ],
      },
    ],
    [
      'a share of a whole device',
      { node: 'n', whole: false, devices: [{ index: 0, milli: 1000, memoryBytes: 0 }] },
    ],
    [
      'a repeated device',
      {
        node: 'n',
        whole: true,
        devices: [
          { index: 3, milli: 1000, memoryBytes: 0 },
          { index: 3, milli: 1000, memoryBytes: 0 },
        ],
      },
    ],
    ['a negative index', { node: 'n', whole: true, devices: [{ index: -1, milli: 1000, memoryBytes: 0 }] }],
    [
      'a fractional byte count',
      { node: 'n', whole: false, devices: [{ index: 0, milli: 10, memoryBytes: 0.5 }] },
    ],
  ])('refuses to encode %s', (_name, assignment) => {
    const error = codecError(() => encodeAssignment(assignment));
    expect(error.field).toBe('phalanx.dev/gpu-devices');
    expect(error.message).toContain('cannot encode the assignment on node n');
  });
});
