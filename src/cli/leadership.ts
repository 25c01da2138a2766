// Which replica serves, and what only the serving replica does. With leader election on, the Lease
// decides, and the leader labels its own pod so the Services route to it alone; duties registered
// with whileLeading (advertising node capacity, publishing the webhook CA, the leader gauge) start
// when leadership is won and stop when it is lost. Without leader election this replica always leads.
import type { LeaderFence, LeaderStatus } from '../app/ports.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/types.js';
import type { KubeClients } from '../kube/kube-config.js';
import type { KubeLogger } from '../kube/kube-logger.js';
import { LeaderElector } from '../kube/leader-election.js';
import { LeaderPodLabel } from '../kube/leader-pod-label.js';
import { ApiLeaseStore } from '../kube/lease-store.js';

export interface LeaderDuty {
  readonly start: () => void;
  readonly stop?: () => void;
}

export interface Leadership extends LeaderStatus, LeaderFence {
  /** Runs `duty` while this replica leads (at once when it already does). */
  whileLeading(duty: LeaderDuty): void;
  start(): void;
  /** Leaves the Services (label removed) before handing over the Lease, then stops every duty. */
  stop(): Promise<void>;
}

export function createLeadership(opts: {
  readonly config: Config['leaderElection'];
  readonly clients: KubeClients;
  readonly identity: string;
  readonly clock: Clock;
  readonly logger: KubeLogger;
}): Leadership {
  const { config, clients, identity, clock, logger } = opts;
  const duties: LeaderDuty[] = [];
  let leading = false;
  const lead = () => {
    leading = true;
    for (const duty of duties) duty.start();
  };
  const yieldLead = () => {
    leading = false;
    for (const duty of duties) duty.stop?.();
  };

  if (!config.enabled) {
    return {
      isLeader: () => true,
      holdsLeaseWithMargin: () => true,
      whileLeading(duty) {
        duties.push(duty);
        if (leading) duty.start();
      },
      start: lead,
      stop: () => Promise.resolve(yieldLead()),
    };
  }

  const label =
    config.podName === undefined
      ? undefined
      : new LeaderPodLabel({
          api: clients.core,
          namespace: config.podNamespace ?? config.namespace,
          podName: config.podName,
          logger,
        });
  const elector = new LeaderElector({
    store: new ApiLeaseStore(clients.coordination, config.namespace, config.leaseName),
    identity,
    clock,
    logger,
    onStartedLeading: () => {
      void label?.set(true);
      lead();
    },
    onStoppedLeading: () => {
      yieldLead();
      void label?.set(false);
    },
  });
  return {
    isLeader: () => elector.isLeader(),
    holdsLeaseWithMargin: () => elector.holdsLeaseWithMargin(),
    whileLeading(duty) {
      duties.push(duty);
      if (elector.isLeader()) duty.start();
    },
    start: () => elector.start(),
    async stop() {
      // No call should reach a replica that no longer leads; the next leader labels its own pod.
      await label?.set(false);
      await elector.stop();
      if (leading) yieldLead();
    },
  };
}

/** Refusal of a write by a replica that no longer holds the Lease with margin. */
export class FencedWriteError extends Error {
  constructor(what: string) {
    super(`${what} refused: this replica no longer holds the leader Lease with margin`);
    this.name = 'FencedWriteError';
  }
}

/**
 * The API client with the named write methods fenced: each checks the Lease right before the
 * request and rejects when it is not held with margin, so a replica that lost leadership mid-way
 * (a status patch loop, a CA publish retry) writes nothing from its stale view.
 */
export function fencedApi<T extends object>(api: T, fence: LeaderFence, writes: readonly (keyof T)[]): T {
  const fencedNames = new Set<PropertyKey>(writes);
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (!fencedNames.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        if (!fence.holdsLeaseWithMargin()) return Promise.reject(new FencedWriteError(String(prop)));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
