// `phalanx map`: the occupancy map of a running Phalanx as text, for terminals and CI logs. Reads
// the admin port's /map API (the same view the web page draws) and prints it.
import type { OccupancyView, SearchHit } from '../core/occupancy/occupancy-types.js';
import { renderTextMap } from '../core/occupancy/text-map.js';

const REQUEST_TIMEOUT_MS = 10_000;

export interface MapCommandOptions {
  /** The admin port's base URL, e.g. http://127.0.0.1:9090. */
  readonly url: string;
  /** Domain ids to open (see the ids the page uses: label values joined by "/"). */
  readonly open: readonly string[];
  readonly search?: string;
  readonly json: boolean;
}

async function getJson<T>(url: URL): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}${body.error ? `: ${body.error}` : ''}`);
  return body as T;
}

function baseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--url: ${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:9090)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--url: must be http or https');
  return url;
}

function hitLine(h: SearchHit): string {
  const where = h.node && h.kind === 'pod' ? ` on ${h.node}` : '';
  return `${h.kind} ${h.label}${where}${h.detail ? `: ${h.detail}` : ''}${h.path.length ? `  (open: ${h.path.at(-1)})` : ''}`;
}

/** The text to print. */
export async function runMapCommand(opts: MapCommandOptions): Promise<string> {
  const base = baseUrl(opts.url);
  if (opts.search !== undefined) {
    const url = new URL('/map/api/search', base);
    url.searchParams.set('q', opts.search);
    const { hits } = await getJson<{ hits: SearchHit[] }>(url);
    if (opts.json) return JSON.stringify(hits, null, 2);
    return hits.length === 0 ? `no match for ${JSON.stringify(opts.search)}` : hits.map(hitLine).join('\n');
  }
  const url = new URL('/map/api/view', base);
  if (opts.open.length > 0) url.searchParams.set('open', opts.open.join(','));
  const view = await getJson<OccupancyView>(url);
  return opts.json ? JSON.stringify(view, null, 2) : renderTextMap(view);
}
