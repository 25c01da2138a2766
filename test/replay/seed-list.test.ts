import { describe, expect, it } from 'vitest';
import { parseSeedList } from '../../src/replay/seed-list.js';
import { traceName } from '../../src/replay/report.js';

describe('parseSeedList', () => {
  it.each([
    ['42-51', [42, 43, 44, 45, 46, 47, 48, 49, 50, 51]],
    ['42', [42]],
    ['1,3-4', [1, 3, 4]],
  ])('%s', (text, seeds) => {
    expect(parseSeedList(text)).toEqual(seeds);
  });

  it('rejects malformed and backwards ranges', () => {
    expect(() => parseSeedList('a')).toThrow('"a" is not a seed');
    expect(() => parseSeedList('5-3')).toThrow('runs backwards');
  });
});

describe('traceName', () => {
  it('strips the openb prefix, folders and the extension', () => {
    expect(traceName('../shared/traces/openb/openb_pod_list_gpushare40.csv')).toBe('gpushare40');
  });
});
