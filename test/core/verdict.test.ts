import { describe, expect, it } from 'vitest';
import {
  FITS,
  isFit,
  reasonOf,
  unresolvable,
  unschedulable,
  verdict,
  verdictError,
} from '../../src/core/verdict.js';

describe('verdict', () => {
  it('builds each code with its reason', () => {
    expect(unschedulable('device 0 has 200m free')).toEqual({
      code: 'unschedulable',
      reason: 'device 0 has 200m free',
    });
    expect(unresolvable('no GPUs')).toEqual({ code: 'unresolvable', reason: 'no GPUs' });
    expect(verdictError('not synced')).toEqual({ code: 'error', reason: 'not synced' });
    expect(verdict('unschedulable', 'x')).toEqual({ code: 'unschedulable', reason: 'x' });
    expect(verdict('fits', 'ignored')).toEqual({ code: 'fits' });
  });

  it('tells fits apart and reads reasons', () => {
    expect(isFit(FITS)).toBe(true);
    expect(isFit(unschedulable('full'))).toBe(false);
    expect(reasonOf(FITS)).toBe('');
    expect(reasonOf(unresolvable('wrong model'))).toBe('wrong model');
  });
});
