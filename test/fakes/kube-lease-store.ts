// In-memory Lease with resourceVersion preconditions, shared by several electors in a test.
import {
  LeaseConflictError,
  type LeaseRecord,
  type LeaseSpecRecord,
  type LeaseStore,
} from '../../src/kube/lease-store.js';

export class InMemoryLease {
  record: LeaseRecord | undefined;
  writes = 0;
  /** When set, every call rejects with this error (API server unreachable). */
  failure: Error | undefined;
  #version = 0;

  store(): LeaseStore {
    return {
      get: () => this.#guard(() => this.record),
      create: (spec) =>
        this.#guard(() => {
          if (this.record !== undefined) throw new LeaseConflictError('exists');
          return this.#put(spec);
        }),
      update: (spec, resourceVersion) =>
        this.#guard(() => {
          if (this.record?.resourceVersion !== resourceVersion) throw new LeaseConflictError('stale');
          return this.#put(spec);
        }),
    };
  }

  #put(spec: LeaseSpecRecord): LeaseRecord {
    this.#version += 1;
    this.writes += 1;
    this.record = { ...spec, resourceVersion: String(this.#version) };
    return this.record;
  }

  async #guard<T>(op: () => T): Promise<T> {
    await Promise.resolve();
    if (this.failure !== undefined) throw this.failure;
    return op();
  }
}
