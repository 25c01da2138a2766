// The Lease the leader elector competes for, behind a small interface so the elector can be tested
// against an in-memory store. ApiLeaseStore is the coordination.k8s.io/v1 implementation.
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { httpStatusOf } from './api-errors.js';

/** The fields of a Lease the election reads and writes; times in epoch milliseconds. */
export interface LeaseSpecRecord {
  /** '' when nobody holds the lease (released). */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTimeMs?: number;
  readonly renewTimeMs?: number;
  readonly leaseTransitions: number;
}

export interface LeaseRecord extends LeaseSpecRecord {
  /** Optimistic-concurrency token; an update must carry the version it read. */
  readonly resourceVersion: string;
}

/** Someone else wrote the lease first (create of an existing lease, or a stale resourceVersion). */
export class LeaseConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseConflictError';
  }
}

export interface LeaseStore {
  /** The lease, or undefined when it does not exist. */
  get(): Promise<LeaseRecord | undefined>;
  /** Creates the lease; LeaseConflictError when it already exists. */
  create(spec: LeaseSpecRecord): Promise<LeaseRecord>;
  /** Replaces the lease if it is still at `resourceVersion`; LeaseConflictError otherwise. */
  update(spec: LeaseSpecRecord, resourceVersion: string): Promise<LeaseRecord>;
}

export class ApiLeaseStore implements LeaseStore {
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;

  constructor(api: CoordinationV1Api, namespace: string, name: string) {
    this.#api = api;
    this.#namespace = namespace;
    this.#name = name;
  }

  async get(): Promise<LeaseRecord | undefined> {
    try {
      return toRecord(await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }));
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async create(spec: LeaseSpecRecord): Promise<LeaseRecord> {
    try {
      const body = toLease(spec, this.#name, this.#namespace);
      return toRecord(await this.#api.createNamespacedLease({ namespace: this.#namespace, body }));
    } catch (err) {
      if (httpStatusOf(err) === 409) throw new LeaseConflictError(`lease ${this.#name} already exists`);
      throw err;
    }
  }

  async update(spec: LeaseSpecRecord, resourceVersion: string): Promise<LeaseRecord> {
    try {
      const body = toLease(spec, this.#name, this.#namespace, resourceVersion);
      const lease = await this.#api.replaceNamespacedLease({
        name: this.#name,
        namespace: this.#namespace,
        body,
      });
      return toRecord(lease);
    } catch (err) {
      if (httpStatusOf(err) === 409) throw new LeaseConflictError(`lease ${this.#name} changed since read`);
      throw err;
    }
  }
}

/** Lease times are MicroTime: exactly six fractional digits, which V1MicroTime writes. */
export function toLease(
  spec: LeaseSpecRecord,
  name: string,
  namespace: string,
  resourceVersion?: string,
): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: resourceVersion === undefined ? { name, namespace } : { name, namespace, resourceVersion },
    spec: {
      holderIdentity: spec.holderIdentity,
      leaseDurationSeconds: spec.leaseDurationSeconds,
      leaseTransitions: spec.leaseTransitions,
      ...(spec.acquireTimeMs === undefined ? {} : { acquireTime: new V1MicroTime(spec.acquireTimeMs) }),
      ...(spec.renewTimeMs === undefined ? {} : { renewTime: new V1MicroTime(spec.renewTimeMs) }),
    },
  };
}

export function toRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  const acquireTimeMs = timeMs(spec.acquireTime);
  const renewTimeMs = timeMs(spec.renewTime);
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    leaseTransitions: spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    ...(acquireTimeMs === undefined ? {} : { acquireTimeMs }),
    ...(renewTimeMs === undefined ? {} : { renewTimeMs }),
  };
}

function timeMs(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
