import { describe, expect, it } from 'vitest';
import { FieldError } from '../../../src/core/errors.js';
import { configSchema } from '../../../src/config/schema.js';
import { isPolicyName, policyByName, policyNames } from '../../../src/core/policies/registry.js';

describe('policy registry', () => {
  it('serves exactly the policies the README lists, the configured default among them', () => {
    expect(policyNames().sort()).toEqual(['binpack', 'fgd', 'phalanx', 'spread']);
    expect(isPolicyName(configSchema.parse({}).policy)).toBe(true);
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
