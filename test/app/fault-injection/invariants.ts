// What must hold once the world is quiet, each checked against the API server as the source of
// truth: no device given beyond 1000 milli (a whole device is 1000, so never shared), every bound GPU
// pod carrying its decision, each replica's ledger equal to a rebuild from the bound pods, every gang
// bound whole or not at all.
import { decodeAssignment, encodeAssignment } from '../../../src/core/assignment-codec.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { Decision, Req } from '../../../src/core/names.js';
import { groupOf, type FaultWorld } from './fault-world.js';

export function violations(world: FaultWorld): string[] {
  const found: string[] = [];
  const bound = [...world.cluster.pods.values()].filter((p) => p.spec?.nodeName !== undefined);
  found.push(...deviceViolations(bound));
  for (const replica of world.replicas) {
    if (!replica.alive) continue;
    const ledger = new Map(
      replica.state.ledger.committed().map((h) => [h.uid, encodeAssignment(h.assignment)]),
    );
    const api = new Map(
      bound
        .filter((p) => p.metadata?.annotations?.[Decision.gpuDevices] !== undefined)
        .map((p) => [p.metadata!.uid!, p.metadata!.annotations![Decision.gpuDevices]!]),
    );
    for (const [uid, raw] of api) {
      if (ledger.get(uid) !== raw)
        found.push(`replica ${replica.name}: ${uid} bound with ${raw}, ledger has ${ledger.get(uid)}`);
    }
    for (const uid of ledger.keys()) {
      if (!api.has(uid)) found.push(`replica ${replica.name}: ledger commits ${uid}, which is not bound`);
    }
  }
  found.push(...gangViolations(world));
  return found;
}

function deviceViolations(bound: readonly PodShape[]): string[] {
  const found: string[] = [];
  const milli = new Map<string, number>();
  for (const pod of bound) {
    const raw = pod.metadata?.annotations?.[Decision.gpuDevices];
    const node = pod.spec!.nodeName!;
    if (raw === undefined) {
      const asks = JSON.stringify(pod.spec?.containers ?? []).includes('nvidia.com/gpu');
      if (asks || pod.metadata?.annotations?.[Req.gpuFraction] !== undefined) {
        found.push(`${pod.metadata?.name} bound to ${node} without a decision`);
      }
      continue;
    }
    for (const share of decodeAssignment(node, raw).devices) {
      const key = `${node}/${share.index}`;
      milli.set(key, (milli.get(key) ?? 0) + share.milli);
    }
  }
  for (const [device, used] of milli) if (used > 1000) found.push(`device ${device} given ${used} milli`);
  return found;
}

function gangViolations(world: FaultWorld): string[] {
  const gangs = new Map<string, { size: number; bound: number; members: number }>();
  for (const pod of world.cluster.pods.values()) {
    const group = groupOf(pod);
    if (group === undefined) continue;
    const size = Number(pod.metadata?.annotations?.[Req.groupSize]);
    const entry = gangs.get(group) ?? { size, bound: 0, members: 0 };
    entry.members += 1;
    if (pod.spec?.nodeName !== undefined) entry.bound += 1;
    gangs.set(group, entry);
  }
  const found: string[] = [];
  for (const [group, g] of gangs) {
    if (g.bound > 0 && g.bound < g.size && !world.deletedByTest.has(group)) {
      found.push(`gang ${group} half-bound: ${g.bound} of ${g.size} members bound`);
    }
  }
  return found;
}

/** Reservations still held by live replicas (after the world was left alone past every TTL). */
export function leakedReservations(world: FaultWorld): string[] {
  return world.replicas
    .filter((r) => r.alive)
    .flatMap((r) => r.state.ledger.reservations().map((h) => `replica ${r.name}: ${h.uid} still reserved`));
}
