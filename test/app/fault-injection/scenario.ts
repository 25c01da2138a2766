// The fault-injection scenario: the actions a run is made of, how each is applied to the world,
// and how the world is left to settle before the invariants are checked.
import fc from 'fast-check';
import type { FaultWorld } from './fault-world.js';
import { type Workload } from './fault-world.js';

export type Action =
  | { t: 'submit'; w: Workload }
  | { t: 'schedule'; pick: number }
  | { t: 'tick'; ms: number }
  | { t: 'deliver'; replica: number; count: number }
  | { t: 'faults'; rate: number }
  | { t: 'deleteMember'; pick: number }
  | { t: 'removeNode'; pick: number }
  | { t: 'restoreNodes' }
  | { t: 'restart'; replica: number }
  | { t: 'failover' };

export const workload: fc.Arbitrary<Workload> = fc.oneof(
  fc.record({
    kind: fc.constant('gang' as const),
    size: fc.integer({ min: 2, max: 3 }),
    gpus: fc.constantFrom(1, 2, 4),
    clique: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('single' as const),
    gpus: fc.constant(0),
    fraction: fc.constantFrom('0.5', '0.3'),
  }),
  fc.record({ kind: fc.constant('single' as const), gpus: fc.constantFrom(1, 2) }),
);

const pick = fc.nat(1_000);
export const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('submit' as const), w: workload }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('schedule' as const), pick }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 8_000 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('deliver' as const),
      replica: fc.nat(1),
      count: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('faults' as const), rate: fc.constantFrom(0, 0.1, 0.3, 0.6) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('deleteMember' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('removeNode' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restoreNodes' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const), replica: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('failover' as const) }) },
);

export async function run(world: FaultWorld, a: Action): Promise<void> {
  switch (a.t) {
    case 'submit':
      return world.submit(a.w);
    case 'schedule':
      return world.schedule(a.pick);
    case 'tick':
      return world.tick(a.ms);
    case 'deliver':
      return world.deliver(a.replica, a.count);
    case 'faults':
      world.cluster.faultRate = a.rate;
      return;
    case 'deleteMember':
      return world.deleteMember(a.pick);
    case 'removeNode':
      return world.removeNode(a.pick);
    case 'restoreNodes':
      return world.restoreNodes();
    case 'restart':
      return world.restart(a.replica);
    case 'failover':
      return world.failover();
  }
}

/** Faults off, nodes back, the scheduler keeps going until nothing has changed for a while. */
export async function settle(world: FaultWorld): Promise<void> {
  world.cluster.faultRate = 0;
  world.restoreNodes();
  let quiet = 0;
  let last = '';
  for (let round = 0; round < 150 && quiet < 40; round++) {
    for (const r of world.replicas) r.deliver();
    for (let i = 0; i < world.pending().length; i++) world.schedule(i);
    await world.tick(2_000);
    const now = world.cluster.log.length + '/' + world.inFlight() + '/' + world.pending().length;
    quiet = now === last && world.inFlight() === 0 ? quiet + 1 : 0;
    last = now;
  }
  for (const r of world.replicas) r.deliver();
}

/** mulberry32: the API server's faults, reproducible from the run's seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
