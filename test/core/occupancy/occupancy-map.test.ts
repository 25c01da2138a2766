import { describe, expect, it } from 'vitest';
import { openSlotHolder } from '../../../src/core/gang/gang-tracker.js';
import { NodeLabel } from '../../../src/core/names.js';
import { OccupancyMap } from '../../../src/core/occupancy/occupancy-map.js';
import type { DomainCell, NodeCell, OccupancyView } from '../../../src/core/occupancy/occupancy-types.js';
import { renderTextMap } from '../../../src/core/occupancy/text-map.js';
import { share, smallFabric, whole, type SmallFabric } from './fixture.js';

const GIB = 1024 ** 3;
const NOW = 1_000_000;

function populated(): SmallFabric {
  const f = smallFabric();
  f.hold('ua', { namespace: 'ns', name: 'a' }, share('n1', 0, 500, 10 * GIB));
  f.hold('ub', { namespace: 'ns', name: 'b' }, share('n1', 0, 250));
  const g1 = { gang: 'ns/g1', level: NodeLabel.zone };
  f.hold('uc', { namespace: 'ns', name: 'c', ...g1 }, whole('n1', 1, 2));
  f.hold('ud', { namespace: 'ns', name: 'd', ...g1 }, whole('n3', 0, 1, 2, 3));
  f.hold('ue', { namespace: 'other', name: 'e' }, share('n4', 0, 300));
  return f;
}

function mapOf(f: SmallFabric, autoOpenNodes = 64): OccupancyMap {
  return new OccupancyMap({
    state: f.state,
    levels: [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone],
    holder: (uid) => f.pods.get(uid),
    plans: () => f.tracker.all(),
    schedulerName: 'phalanx-scheduler',
    clock: { now: () => NOW },
    limits: { autoOpenNodes },
  });
}

function findDomain(domains: readonly DomainCell[] | undefined, id: string): DomainCell | undefined {
  for (const d of domains ?? []) {
    if (d.id === id) return d;
    const inner = findDomain(d.children, id);
    if (inner) return inner;
  }
  return undefined;
}

function allNodes(view: OccupancyView): NodeCell[] {
  const out: NodeCell[] = [];
  const walk = (d: DomainCell): void => {
    out.push(...(d.nodes ?? []));
    d.children?.forEach(walk);
  };
  view.domains.forEach(walk);
  return out;
}

describe('the occupancy map', () => {
  it('draws zone → rack → clique → node → device with every share and whole owner', () => {
    const view = mapOf(populated()).view(new Set());
    expect(view.levels).toEqual([NodeLabel.zone, NodeLabel.leaf, NodeLabel.clique]);
    expect(view.domains.map((d) => d.name)).toEqual(['z1', 'z2']);
    expect(findDomain(view.domains, 'z1/r1')?.children?.map((c) => c.id)).toEqual(['z1/r1/c1']);
    // A node without a rack label sits under "(none)"; the CPU-only node is not drawn.
    expect(findDomain(view.domains, 'z2/(none)/c3')?.nodes?.map((n) => n.name)).toEqual(['n4']);
    expect(
      allNodes(view)
        .map((n) => n.name)
        .sort(),
    ).toEqual(['n1', 'n2', 'n3', 'n4']);
    const n1 = allNodes(view).find((n) => n.name === 'n1');
    expect(n1?.devices.map((d) => d.mode)).toEqual(['shared', 'whole', 'whole', 'free']);
    expect(n1?.devices[0]?.shares.map((s) => [s.holder, s.milli, s.memoryBytes])).toEqual([
      ['ns/a', 500, 10 * GIB],
      ['ns/b', 250, 0],
    ]);
    expect(n1?.devices[1]?.shares.map((s) => [s.holder, s.whole, s.gang])).toEqual([['ns/c', true, 'ns/g1']]);
    expect(n1?.gangs).toEqual(['ns/g1']);
  });

  it('sums free whole GPUs, free milli in shared devices and gang room; a cordoned node offers nothing', () => {
    const view = mapOf(populated()).view(new Set());
    expect(view.totals).toMatchObject({
      nodes: 4,
      gpus: 18,
      usedMilli: 7050,
      freeWhole: 6,
      freeMilliPartial: 950,
    });
    expect(view.totals.largestGangGpus).toEqual({ '1': 6, '2': 4, '4': 4, '8': 0 });
    expect(findDomain(view.domains, 'z1/r1')?.figures).toMatchObject({
      nodes: 2,
      gpus: 8,
      freeWhole: 1,
      freeMilliPartial: 250,
    });
    expect(findDomain(view.domains, 'z1/r2/c2')?.figures.largestGangGpus).toEqual({
      '1': 4,
      '2': 4,
      '4': 4,
      '8': 0,
    });
  });

  it('measures the FGD expected fragment against the pod mix holding GPUs now', () => {
    // Mix: 500m, 250m, 2 whole, 4 whole, 300m (one pod each). n1 has free [0,0,250,1000]: the
    // 500m and 300m types cannot use the 250 (250 each), the 2- and 4-GPU types cannot run (1250
    // each): (250+0+1250+1250+250)/5 = 600. n4 has free [700,1000]: the multi-GPU types cannot
    // run: 2*1700/5 = 680. n3's free devices are whole and 4 of them: 0.
    const view = mapOf(populated()).view(new Set());
    expect(findDomain(view.domains, 'z1/r1/c1')?.figures.fragmentMilli).toBe(600);
    expect(findDomain(view.domains, 'z2')?.figures.fragmentMilli).toBe(680);
    expect(findDomain(view.domains, 'z1/r2')?.figures.fragmentMilli).toBe(0);
    expect(view.totals.fragmentMilli).toBe(1280);
  });

  it('outlines a bound gang across nodes at the level its members recorded', () => {
    const view = mapOf(populated()).view(new Set());
    expect(view.gangs).toEqual([
      {
        key: 'ns/g1',
        name: 'g1',
        level: NodeLabel.zone,
        domain: 'z1',
        phase: 'bound',
        members: [
          { pod: 'ns/c', node: 'n1', devices: [1, 2], phase: 'bound' },
          { pod: 'ns/d', node: 'n3', devices: [0, 1, 2, 3], phase: 'bound' },
        ],
        nodes: ['n1', 'n3'],
      },
    ]);
  });

  it('shows a planned gang, its open slot and the member waiting at the barrier', () => {
    const f = populated();
    const gang = f.tracker.add(
      {
        key: 'ns/g2',
        name: 'g2',
        level: NodeLabel.clique,
        domain: 'c2',
        slots: [
          { node: 'n3', assignment: whole('n3', 4, 5), shape: 's' },
          { node: 'n3', assignment: whole('n3', 6, 7), shape: 's' },
        ],
      },
      NOW,
    );
    expect(f.state.reserve(openSlotHolder('ns/g2', 0), whole('n3', 4, 5), NOW + 30_000).ok).toBe(true);
    expect(f.state.reserve('um', whole('n3', 6, 7), NOW + 30_000).ok).toBe(true);
    f.pods.set('um', { namespace: 'ns', name: 'm', gang: 'ns/g2' });
    const slot = gang.slots[1];
    if (slot === undefined) throw new Error('no slot');
    f.tracker.claim(gang, slot, { namespace: 'ns', name: 'm', uid: 'um' });
    f.tracker.arrive(gang, slot, NOW);
    const view = mapOf(f).view(new Set());
    const g2 = view.gangs.find((g) => g.key === 'ns/g2');
    expect(g2).toMatchObject({ phase: 'binding', level: NodeLabel.clique, domain: 'c2', nodes: ['n3'] });
    expect(g2?.members.map((m) => [m.pod, m.phase])).toEqual([
      [undefined, 'open'],
      ['ns/m', 'waiting'],
    ]);
    expect(view.reservations.map((r) => [r.holder, r.node, r.devices, r.atBarrier, r.expiresInMs])).toEqual([
      ['gang ns/g2 slot 0', 'n3', [4, 5], false, 30_000],
      ['ns/m', 'n3', [6, 7], true, 30_000],
    ]);
    const n3 = allNodes(view).find((n) => n.name === 'n3');
    expect(n3?.devices[6]?.shares[0]).toMatchObject({ holder: 'ns/m', state: 'reserved', atBarrier: true });
    expect(n3?.gangs).toEqual(['ns/g1', 'ns/g2']);
  });

  it('keeps domains closed above the zoom threshold until asked, and bounds the nodes per answer', () => {
    const map = mapOf(populated(), 2);
    const closed = map.view(new Set());
    expect(closed.domains.every((d) => !d.open && d.children === undefined)).toBe(true);
    expect(closed.detailNodes).toBe(0);
    const opened = map.view(new Set(['z1/r1/c1']));
    expect(findDomain(opened.domains, 'z1')?.open).toBe(true);
    expect(findDomain(opened.domains, 'z1/r2')?.open).toBe(false);
    expect(findDomain(opened.domains, 'z1/r1/c1')?.nodes?.map((n) => n.name)).toEqual(['n1', 'n2']);
    expect(opened.detailNodes).toBe(2);
    const bounded = new OccupancyMap({
      state: populated().state,
      levels: [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone],
      holder: () => undefined,
      plans: () => [],
      schedulerName: 'phalanx-scheduler',
      clock: { now: () => NOW },
      limits: { autoOpenNodes: 0, maxDetailNodes: 2 },
    }).view(new Set(['z1/r1/c1', 'z1/r2/c2']));
    expect(bounded.detailNodes).toBe(2);
    expect(bounded.closedForSize).toEqual(['z1/r2/c2']);
  });

  it('finds pods, gangs, nodes and domains with the path to open', () => {
    const map = mapOf(populated());
    expect(map.search('ns/c', 10)).toEqual([
      { kind: 'pod', label: 'ns/c', node: 'n1', path: ['z1', 'z1/r1', 'z1/r1/c1'], detail: 'GPU 1, whole' },
      { kind: 'pod', label: 'ns/c', node: 'n1', path: ['z1', 'z1/r1', 'z1/r1/c1'], detail: 'GPU 2, whole' },
    ]);
    expect(map.search('G1', 10).map((h) => [h.kind, h.label])).toEqual([['gang', 'ns/g1']]);
    expect(map.search('n4', 10)[0]).toMatchObject({
      kind: 'node',
      path: ['z2', 'z2/(none)', 'z2/(none)/c3'],
    });
    expect(map.search('r2', 10).map((h) => h.label)).toEqual([`${NodeLabel.leaf}=r2`]);
    expect(map.search('ns', 3)).toHaveLength(3);
    expect(map.search('   ', 10)).toEqual([]);
  });

  it('changes its version on ledger changes and pending-list changes only', () => {
    const f = populated();
    const map = mapOf(f);
    const v0 = map.version();
    expect(map.version()).toBe(v0);
    f.hold('uf', { namespace: 'ns', name: 'f' }, share('n4', 1, 100));
    const v1 = map.version();
    expect(v1).not.toBe(v0);
    map.podChanged({ metadata: { namespace: 'ns', name: 'p' }, spec: { schedulerName: 'other' } });
    expect(map.version()).toBe(v1);
    map.podChanged({
      metadata: { namespace: 'ns', name: 'p' },
      spec: { schedulerName: 'phalanx-scheduler' },
    });
    expect(map.version()).not.toBe(v1);
    expect(map.view(new Set()).pending).toEqual([
      { kind: 'pod', key: 'ns/p', reason: 'waiting to be scheduled' },
    ]);
  });

  it('rebuilds at most once per minRebuildMs, and says which version it shows', () => {
    const f = populated();
    let now = NOW;
    const map = new OccupancyMap({
      state: f.state,
      levels: [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone],
      holder: (uid) => f.pods.get(uid),
      plans: () => [],
      schedulerName: 'phalanx-scheduler',
      clock: { now: () => now },
      minRebuildMs: 1000,
    });
    const first = map.view(new Set());
    f.hold('uf', { namespace: 'ns', name: 'f' }, share('n4', 1, 100));
    now += 999;
    const stale = map.view(new Set());
    expect(stale.version).toBe(first.version);
    expect(stale.version).not.toBe(map.version());
    expect(JSON.stringify(stale)).not.toContain('ns/f');
    now += 1;
    const fresh = map.view(new Set());
    expect(fresh.version).toBe(map.version());
    expect(JSON.stringify(fresh)).toContain('"holder":"ns/f"');
  });

  it('prints the same view as text', () => {
    const text = renderTextMap(mapOf(populated()).view(new Set()));
    expect(text).toContain(
      'node n1 [NVIDIA-H100-80GB-HBM3]: 4 GPUs, 1 free whole, free: GPU 3, gangs: ns/g1',
    );
    expect(text).toContain('GPU 0 shared 750m: ns/a 500m 10Gi; ns/b 250m');
    expect(text).toContain('GPU 1 whole 1000m: ns/c whole (gang ns/g1)');
    expect(text).toContain('node n2 [NVIDIA-H100-80GB-HBM3] (cordoned)');
    expect(text).toContain(`ns/g1 bound at ${NodeLabel.zone}=z1, 2 members on n1, n3`);
  });
});
