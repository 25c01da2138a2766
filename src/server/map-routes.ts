// The occupancy map on the admin port, read-only: the page (static files of web/map, no build step,
// nothing from a CDN), its JSON API and a server-sent event stream that says when to fetch again.
//   GET /map/                      the page
//   GET /map/api/view?open=a,b     the fabric with those domains open (occupancy-view.ts)
//   GET /map/api/search?q=text     pods, gangs, nodes and domains matching
//   GET /map/api/events            "version" events whenever the map changed
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response, type Router } from 'express';
import { MAX_QUERY_CHARS } from '../core/occupancy/fabric-search.js';
import type { OccupancyView, SearchHit } from '../core/occupancy/occupancy-types.js';

/** What the routes need of the occupancy map (core/occupancy/occupancy-map.ts). */
export interface MapSource {
  version(): string;
  view(open: ReadonlySet<string>): OccupancyView;
  search(query: string, limit: number): SearchHit[];
}

export const MAX_OPEN_IDS = 64;
const MAX_ID_CHARS = 512;
const MAX_SEARCH_HITS = 50;
/** Each stream costs a timer and a socket: a handful of operators' tabs, not a crowd. */
export const MAX_EVENT_STREAMS = 32;
const EVENT_CHECK_MS = 1_000;
const HEARTBEAT_MS = 15_000;

/**
 * web/map beside src/ and dist/ alike: this file is src/server/map-routes.ts or
 * dist/server/map-routes.js, both two levels below the repository (or image) root.
 */
export function mapAssetsDir(): string {
  return fileURLToPath(new URL('../../web/map/', import.meta.url));
}

class QueryError extends Error {}

function queryString(req: Request, field: string, maxChars: number): string | undefined {
  const value = req.query[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new QueryError(`${field}: give it once, as text`);
  if (value.length > maxChars) throw new QueryError(`${field}: longer than ${maxChars} characters`);
  return value;
}

function openIds(req: Request): Set<string> {
  const text = queryString(req, 'open', MAX_OPEN_IDS * (MAX_ID_CHARS + 1));
  const ids = (text ?? '').split(',').filter((id) => id !== '');
  if (ids.length > MAX_OPEN_IDS) throw new QueryError(`open: at most ${MAX_OPEN_IDS} domain ids`);
  const long = ids.find((id) => id.length > MAX_ID_CHARS);
  if (long !== undefined) throw new QueryError(`open: a domain id longer than ${MAX_ID_CHARS} characters`);
  return new Set(ids);
}

function answer(res: Response, produce: () => unknown): void {
  try {
    res.set('Cache-Control', 'no-store').json(produce());
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
    res.status(400).json({ error: err.message });
  }
}

function eventStream(source: MapSource, streams: { open: number }) {
  return (req: Request, res: Response): void => {
    if (streams.open >= MAX_EVENT_STREAMS) {
      res.status(503).json({ error: `at most ${MAX_EVENT_STREAMS} map event streams at once` });
      return;
    }
    streams.open += 1;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    let sent = '';
    let quietMs = 0;
    const tick = (): void => {
      const version = source.version();
      if (version !== sent) {
        sent = version;
        quietMs = 0;
        res.write(`event: version\ndata: ${JSON.stringify(version)}\n\n`);
      } else if ((quietMs += EVENT_CHECK_MS) >= HEARTBEAT_MS) {
        quietMs = 0;
        res.write(': still here\n\n');
      }
    };
    tick();
    const timer = setInterval(tick, EVENT_CHECK_MS);
    req.on('close', () => {
      clearInterval(timer);
      streams.open -= 1;
    });
  };
}

export function createMapRouter(source: MapSource, assetsDir = mapAssetsDir()): Router {
  // Strict: "/map" redirects to "/map/", which must not match "/map" again.
  const router = express.Router({ strict: true });
  const streams = { open: 0 };
  router.get('/map', (_req, res) => res.redirect(301, '/map/'));
  router.get('/map/api/view', (req, res) => answer(res, () => source.view(openIds(req))));
  router.get('/map/api/search', (req, res) =>
    answer(res, () => {
      const q = queryString(req, 'q', MAX_QUERY_CHARS);
      if (q === undefined) throw new QueryError('q: the text to search for is missing');
      return { query: q, hits: source.search(q, MAX_SEARCH_HITS) };
    }),
  );
  router.get('/map/api/events', eventStream(source, streams));
  if (existsSync(assetsDir)) {
    router.use('/map', express.static(assetsDir, { index: 'index.html', fallthrough: true, maxAge: 0 }));
  } else {
    // A build without web/ still schedules and still answers the API; only the page is missing.
    router.use('/map', (_req, res) => {
      res
        .status(404)
        .json({ error: `the map page is not installed here: no ${assetsDir} (ship web/ next to dist/)` });
    });
  }
  return router;
}
