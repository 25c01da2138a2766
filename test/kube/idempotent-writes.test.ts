import { describe, expect, it } from 'vitest';
import { createOrFindExisting, unlessGone } from '../../src/kube/idempotent-writes.js';

/** Rejects the way @kubernetes/client-node's ApiException does (a numeric `code`). */
function apiError(code: number): Promise<never> {
  return Promise.reject(Object.assign(new Error(`HTTP ${code}`), { code }));
}

describe('createOrFindExisting', () => {
  it('tells a fresh create from one that found the object there (409)', async () => {
    await expect(createOrFindExisting(Promise.resolve({}))).resolves.toBe('created');
    await expect(createOrFindExisting(apiError(409))).resolves.toBe('exists');
  });

  it('passes every other failure on', async () => {
    await expect(createOrFindExisting(apiError(404))).rejects.toThrow('HTTP 404');
    await expect(createOrFindExisting(apiError(403))).rejects.toThrow('HTTP 403');
    await expect(createOrFindExisting(Promise.reject(new Error('socket hang up')))).rejects.toThrow(
      'socket hang up',
    );
  });
});

describe('unlessGone', () => {
  it('treats a missing (404) or replaced (409) object as done', async () => {
    await expect(unlessGone(apiError(404))).resolves.toBeUndefined();
    await expect(unlessGone(apiError(409))).resolves.toBeUndefined();
    await expect(unlessGone(Promise.resolve({}))).resolves.toBeUndefined();
  });

  it('passes every other failure on', async () => {
    await expect(unlessGone(apiError(422))).rejects.toThrow('HTTP 422');
    await expect(unlessGone(apiError(500))).rejects.toThrow('HTTP 500');
  });
});
