import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeLabel } from '../../src/core/names.js';
import { OccupancyMap } from '../../src/core/occupancy/occupancy-map.js';
import type { OccupancyView, SearchHit } from '../../src/core/occupancy/occupancy-types.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { createAdminApp } from '../../src/server/app.js';
import { createMapRouter, MAX_OPEN_IDS } from '../../src/server/map-routes.js';
import { share, smallFabric } from '../core/occupancy/fixture.js';

const fabric = smallFabric();
fabric.hold('ua', { namespace: 'ns', name: 'a' }, share('n1', 0, 500));
const map = new OccupancyMap({
  state: fabric.state,
  levels: [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone],
  holder: (uid) => fabric.pods.get(uid),
  plans: () => [],
  schedulerName: 'phalanx-scheduler',
  clock: { now: () => 0 },
});
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(
    createAdminApp({
      registry: createRegistry(false),
      notReadyReasons: () => [],
      debugLedger: () => ({}),
      map,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Reads the event stream until `count` events arrived (bounded by a deadline). */
async function events(count: number, during: () => void): Promise<string[]> {
  const res = await fetch(`${base}/map/api/events`, { signal: AbortSignal.timeout(10_000) });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const found: string[] = [];
  let text = '';
  let acted = false;
  while (found.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    for (const m of text.matchAll(/event: version\ndata: (.*)\n\n/g)) found.push(JSON.parse(m[1]!) as string);
    text = text.slice(text.lastIndexOf('\n\n') + 2);
    if (!acted && found.length > 0) {
      acted = true;
      during();
    }
  }
  await reader.cancel();
  return found;
}

describe('the occupancy map routes on the admin port', () => {
  it('serves the page and its modules without any outside host', async () => {
    const redirect = await fetch(`${base}/map`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/map/');
    const page = await fetch(`${base}/map/`);
    const html = await page.text();
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('<script type="module" src="map.js">');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = await fetch(`${base}/map/map.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).not.toMatch(/https?:\/\//);
  });

  it('keeps the API and says what is missing when the page was not shipped', async () => {
    const app = express().use(createMapRouter(map, '/nonexistent/web/map/'));
    const bare = createServer(app);
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const at = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${at}/map/`);
      expect(page.status).toBe(404);
      expect(((await page.json()) as { error: string }).error).toContain('/nonexistent/web/map/');
      expect((await fetch(`${at}/map/api/view`)).status).toBe(200);
    } finally {
      bare.closeAllConnections();
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  it('answers the view with the asked-for domains open', async () => {
    const res = await fetch(`${base}/map/api/view?open=${encodeURIComponent('z1/r1/c1')}`);
    const view = (await res.json()) as OccupancyView;
    expect(view.domains.map((d) => d.name)).toEqual(['z1', 'z2']);
    expect(JSON.stringify(view)).toContain('"holder":"ns/a"');
  });

  it('refuses bad queries naming the field', async () => {
    const tooMany = Array.from({ length: MAX_OPEN_IDS + 1 }, (_, i) => `d${i}`).join(',');
    const open = await fetch(`${base}/map/api/view?open=${tooMany}`);
    expect(open.status).toBe(400);
    expect(((await open.json()) as { error: string }).error).toMatch(/^open: /);
    const twice = await fetch(`${base}/map/api/view?open=a&open=b`);
    expect(twice.status).toBe(400);
    const noQuery = await fetch(`${base}/map/api/search`);
    expect(noQuery.status).toBe(400);
    expect(((await noQuery.json()) as { error: string }).error).toMatch(/^q: /);
    const long = await fetch(`${base}/map/api/search?q=${'x'.repeat(500)}`);
    expect(long.status).toBe(400);
  });

  it('searches', async () => {
    const res = await fetch(`${base}/map/api/search?q=ns%2Fa`);
    const body = (await res.json()) as { hits: SearchHit[] };
    expect(body.hits.map((h) => [h.kind, h.label, h.node])).toEqual([['pod', 'ns/a', 'n1']]);
  });

  it('streams a version event at once and another when the map changes', async () => {
    const versions = await events(2, () =>
      fabric.hold('ub', { namespace: 'ns', name: 'b' }, share('n1', 0, 250)),
    );
    expect(versions).toHaveLength(2);
    expect(versions[1]).not.toBe(versions[0]);
    expect(versions[1]).toBe(map.version());
  });
});
