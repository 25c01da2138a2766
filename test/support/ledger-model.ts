// A deliberately naive reference model of the GPU ledger for property tests: it keeps a flat list of
// holdings and recomputes every device's use from scratch on each question. Independent of
// src/core/ledger except for the types.
import type { Assignment, DeviceState, NodeInventory } from '../../src/core/types.js';

interface ModelHolding {
  uid: string;
  assignment: Assignment;
  state: 'reserved' | 'committed';
  expiresAt?: number;
  displaced: boolean;
  seq: number;
}

function sameShares(a: Assignment, b: Assignment): boolean {
  const key = (x: Assignment): string =>
    JSON.stringify([
      x.node,
      x.whole,
      [...x.devices].sort((p, q) => p.index - q.index).map((d) => [d.index, d.milli, d.memoryBytes]),
    ]);
  return key(a) === key(b);
}

function shapeOk(a: Assignment): boolean {
  const indices = a.devices.map((d) => d.index);
  if (new Set(indices).size !== indices.length) return false;
  if (!a.whole && a.devices.length > 1) return false;
  return a.devices.every(
    (d) =>
      Number.isInteger(d.index) &&
      d.index >= 0 &&
      Number.isInteger(d.memoryBytes) &&
      d.memoryBytes >= 0 &&
      (a.whole ? d.milli === 1000 : Number.isInteger(d.milli) && d.milli >= 1 && d.milli <= 1000),
  );
}

export class LedgerModel {
  readonly inventories = new Map<string, NodeInventory>();
  private holdings: ModelHolding[] = [];
  private seq = 0;

  devices(node: string): DeviceState[] | undefined {
    const inv = this.inventories.get(node);
    if (inv === undefined) return undefined;
    return inv.devices.map((spec) => {
      let usedMilli = 0;
      let usedMemoryBytes = 0;
      let whole = false;
      let shared = false;
      for (const h of this.holdings) {
        if (h.displaced || h.assignment.node !== node) continue;
        for (const s of h.assignment.devices) {
          if (s.index !== spec.index) continue;
          if (h.assignment.whole) {
            whole = true;
            usedMilli += 1000;
            usedMemoryBytes += spec.memoryBytes;
          } else {
            shared = true;
            usedMilli += s.milli;
            usedMemoryBytes += s.memoryBytes;
          }
        }
      }
      const mode = whole ? 'whole' : shared ? 'shared' : 'free';
      return { index: spec.index, memoryBytes: spec.memoryBytes, usedMilli, usedMemoryBytes, mode };
    });
  }

  private fits(a: Assignment): boolean {
    if (!shapeOk(a)) return false;
    const devices = this.devices(a.node);
    if (devices === undefined) return false;
    return a.devices.every((s) => {
      const d = devices.find((x) => x.index === s.index);
      if (d === undefined || d.mode === 'whole') return false;
      if (a.whole) return d.mode === 'free';
      if (d.usedMilli + s.milli > 1000) return false;
      return d.memoryBytes === 0 || d.usedMemoryBytes + s.memoryBytes <= d.memoryBytes;
    });
  }

  private find(uid: string): ModelHolding | undefined {
    return this.holdings.find((h) => h.uid === uid);
  }

  private place(h: Omit<ModelHolding, 'seq' | 'displaced'>): boolean {
    if (!this.fits(h.assignment)) return false;
    this.holdings.push({ ...h, displaced: false, seq: this.seq++ });
    return true;
  }

  holding(
    uid: string,
  ):
    { uid: string; assignment: Assignment; state: string; expiresAt?: number; displaced?: true } | undefined {
    const h = this.find(uid);
    if (h === undefined) return undefined;
    return {
      uid: h.uid,
      assignment: h.assignment,
      state: h.state,
      ...(h.expiresAt === undefined ? {} : { expiresAt: h.expiresAt }),
      ...(h.displaced ? { displaced: true as const } : {}),
    };
  }

  uids(): string[] {
    return this.holdings.map((h) => h.uid).sort();
  }

  reserve(uid: string, a: Assignment, expiresAt: number): boolean {
    const h = this.find(uid);
    if (h !== undefined) {
      if (!sameShares(h.assignment, a)) return false;
      if (h.state === 'reserved') h.expiresAt = expiresAt;
      return true;
    }
    return this.place({ uid, assignment: a, state: 'reserved', expiresAt });
  }

  commit(uid: string, a?: Assignment): boolean {
    const h = this.find(uid);
    if (a === undefined || (h !== undefined && sameShares(h.assignment, a))) {
      if (h === undefined) return false;
      if (h.state === 'reserved') {
        h.state = 'committed';
        delete h.expiresAt;
      }
      return true;
    }
    if (h === undefined) return this.place({ uid, assignment: a, state: 'committed' });
    if (h.state === 'committed') return false;
    this.holdings = this.holdings.filter((x) => x !== h);
    if (this.place({ uid, assignment: a, state: 'committed' })) return true;
    this.place({
      uid,
      assignment: h.assignment,
      state: 'reserved',
      ...(h.expiresAt === undefined ? {} : { expiresAt: h.expiresAt }),
    });
    return false;
  }

  release(uid: string): boolean {
    const before = this.holdings.length;
    this.holdings = this.holdings.filter((h) => h.uid !== uid);
    return this.holdings.length !== before;
  }

  expire(now: number): string[] {
    const gone = this.holdings.filter(
      (h) => h.state === 'reserved' && h.expiresAt !== undefined && h.expiresAt <= now,
    );
    this.holdings = this.holdings.filter((h) => !gone.includes(h));
    return gone.map((h) => h.uid).sort();
  }

  upsertNode(inv: NodeInventory): string[] {
    this.inventories.set(inv.name, inv);
    const mine = this.holdings.filter((h) => h.assignment.node === inv.name).sort((p, q) => p.seq - q.seq);
    const rank = (h: ModelHolding): number => (h.state === 'reserved' ? 2 : h.displaced ? 1 : 0);
    const ordered = [...mine].sort((p, q) => rank(p) - rank(q) || p.seq - q.seq);
    const wasDisplaced = new Map(mine.map((h) => [h, h.displaced]));
    for (const h of mine) h.displaced = true; // nothing counted: re-admit one by one
    const out: string[] = [];
    for (const h of ordered) {
      h.displaced = true;
      if (this.fits(h.assignment)) {
        h.displaced = false;
      } else if (h.state === 'reserved') {
        this.holdings = this.holdings.filter((x) => x !== h);
        out.push(h.uid);
      } else if (wasDisplaced.get(h) !== true) {
        out.push(h.uid);
      }
    }
    return out.sort();
  }

  removeNode(name: string): string[] {
    if (!this.inventories.delete(name)) return [];
    const gone = this.holdings.filter((h) => h.assignment.node === name);
    this.holdings = this.holdings.filter((h) => h.assignment.node !== name);
    return gone.map((h) => h.uid).sort();
  }
}
