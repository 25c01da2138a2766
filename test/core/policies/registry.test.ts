import { describe, expect, it } from 'vitest';
import { FieldError } from '../../../src/core/errors.js';
import {
  DEFAULT_POLICY,
  isPolicyName,
  policyByName,
  policyNames,
} from '../../../src/core/policies/registry.js';

describe('policy registry', () => {
  it('knows binpack and spread, and the default is one of them', () => {
    expect(policyNames()).toEqual(expect.arrayContaining(['binpack', 'spread']));
    expect(isPolicyName(DEFAULT_POLICY)).toBe(true);
    expect(policyByName('spread').name).toBe('spread');
  });

  it('makes a fresh instance per call (learning policies keep state)', () => {
    expect(policyByName('binpack')).not.toBe(policyByName('binpack'));
  });

  it('refuses an unknown name with a field error that lists the known names', () => {
    expect(isPolicyName('tetris')).toBe(false);
    let caught: unknown;
    try {
      policyByName('tetris');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FieldError);
    expect(caught).toMatchObject({ field: 'phalanx.dev/policy', rule: 'unknown-name' });
    expect((caught as Error).message).toMatch(/unknown placement policy "tetris"; known: .*binpack.*spread/);
  });
});
