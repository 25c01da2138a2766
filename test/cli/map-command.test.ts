import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMapCommand } from '../../src/cli/map-command.js';
import { NodeLabel } from '../../src/core/names.js';
import { OccupancyMap } from '../../src/core/occupancy/occupancy-map.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { createAdminApp } from '../../src/server/app.js';
import { share, smallFabric, whole } from '../core/occupancy/fixture.js';

const fabric = smallFabric();
fabric.hold('ua', { namespace: 'ns', name: 'a' }, share('n1', 0, 500));
fabric.hold('ub', { namespace: 'ns', name: 'b', gang: 'ns/g', level: NodeLabel.clique }, whole('n3', 2));
let server: Server;
let url: string;

beforeAll(async () => {
  const map = new OccupancyMap({
    state: fabric.state,
    levels: [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone],
    holder: (uid) => fabric.pods.get(uid),
    plans: () => [],
    schedulerName: 'phalanx-scheduler',
    clock: { now: () => 0 },
    limits: { autoOpenNodes: 0 },
  });
  server = createServer(
    createAdminApp({
      registry: createRegistry(false),
      notReadyReasons: () => [],
      debugLedger: () => ({}),
      map,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('phalanx map', () => {
  it('prints closed domains with their figures, and the nodes of the domains asked to open', async () => {
    const closed = await runMapCommand({ url, open: [], json: false });
    expect(closed).toContain(`${NodeLabel.zone}=z1 [closed]: 3 nodes, 16 GPUs`);
    expect(closed).not.toContain('node n1');
    const open = await runMapCommand({ url, open: ['z1/r2/c2'], json: false });
    expect(open).toContain('node n3 [NVIDIA-H100-80GB-HBM3]: 8 GPUs, 7 free whole, free: GPU 0-1,3-7');
    expect(open).toContain('GPU 2 whole 1000m: ns/b whole (gang ns/g)');
    expect(open).toContain(`ns/g bound at ${NodeLabel.clique}=c2, 1 member on n3`);
  });

  it('searches', async () => {
    const text = await runMapCommand({ url, open: [], search: 'ns/a', json: false });
    expect(text).toBe('pod ns/a on n1: GPU 0, 500m  (open: z1/r1/c1)');
    expect(await runMapCommand({ url, open: [], search: 'nothing-like-it', json: false })).toBe(
      'no match for "nothing-like-it"',
    );
  });

  it('names the flag on a bad URL and the field on a refused query', async () => {
    await expect(runMapCommand({ url: 'not a url', open: [], json: false })).rejects.toThrow(/^--url: /);
    await expect(runMapCommand({ url: 'ftp://x', open: [], json: false })).rejects.toThrow(/^--url: /);
    const many = Array.from({ length: 100 }, (_, i) => `d${i}`);
    await expect(runMapCommand({ url, open: many, json: false })).rejects.toThrow(/HTTP 400: open: /);
  });
});
