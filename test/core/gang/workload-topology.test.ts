import { describe, expect, it } from 'vitest';
import { levelOfTopologyKeys } from '../../../src/core/gang/workload-topology.js';

const CLIQUE = 'nvidia.com/gpu.clique';
const LEAF = 'network.topology.nvidia.com/leaf';
const ZONE = 'topology.kubernetes.io/zone';
const RACK = 'example.com/rack';
const HOST = 'kubernetes.io/hostname';
const LEVELS = [CLIQUE, LEAF, ZONE];

describe('levelOfTopologyKeys', () => {
  it.each([
    ['no key: nothing required', [], LEVELS, { kind: 'none' }],
    ['the clique label', [CLIQUE], LEVELS, { kind: 'level', level: CLIQUE }],
    ['the zone label', [ZONE], LEVELS, { kind: 'level', level: ZONE }],
    ['kubernetes.io/hostname is the node level', [HOST], LEVELS, { kind: 'level', level: 'node' }],
    ['several keys: the tightest', [ZONE, CLIQUE, LEAF], LEVELS, { kind: 'level', level: CLIQUE }],
    ['hostname beside a level: node', [ZONE, HOST], LEVELS, { kind: 'level', level: 'node' }],
    ['a configured rack label', [RACK], [CLIQUE, RACK], { kind: 'level', level: RACK }],
    [
      'a label that is no configured level',
      [RACK],
      LEVELS,
      { kind: 'unknown', index: 0, key: RACK, known: [HOST, ...LEVELS] },
    ],
    [
      'the first unknown key is reported with its index',
      [CLIQUE, 'a/b', 'c/d'],
      LEVELS,
      { kind: 'unknown', index: 1, key: 'a/b', known: [HOST, ...LEVELS] },
    ],
    [
      'a default level that is not configured here',
      [ZONE],
      [CLIQUE],
      { kind: 'unknown', index: 0, key: ZONE, known: [HOST, CLIQUE] },
    ],
  ])('%s', (_name, keys, levels, expected) => {
    expect(levelOfTopologyKeys(keys, levels)).toEqual(expected);
  });
});
