// The express apps of `phalanx serve`, one per port:
//  - the extender app: the scheduling verbs only, on the authenticated (client-certificate) port;
//  - the admin app: health, readiness, metrics and a read-only debug view of the ledger, on a
//    separate plain-HTTP port for the kubelet's probes, Prometheus and operators.
// The webhook runs on its own HTTPS server (see webhook/).
import express, { type Express, type Request, type Response, type Router } from 'express';
import type { Registry } from 'prom-client';
import { createMapRouter, type MapSource } from './map-routes.js';

export interface ExtenderAppDeps {
  readonly extender: Router;
}

export interface AdminAppDeps {
  readonly registry: Registry;
  /** Ready = first full sync applied and (with HA) this replica leads. Returns the reasons it is not. */
  readonly notReadyReasons: () => string[];
  /** JSON view of the ledger for operators and the e2e suite. */
  readonly debugLedger: () => unknown;
  /** The occupancy map (/map): the page, its API and its event stream. */
  readonly map?: MapSource;
}

export type ServerAppDeps = ExtenderAppDeps & AdminAppDeps;

function notFound(req: Request, res: Response): void {
  res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
}

/** The verbs (`POST /filter`, `/prioritize`, `/bind`, `/preempt`) and nothing else. */
export function createExtenderApp(deps: ExtenderAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use('/', deps.extender);
  app.use(notFound);
  return app;
}

/** Mounts `/healthz`, `/readyz`, `/metrics`, `/debug/ledger` and (when given) `/map` on an app. */
function addAdminRoutes(app: Express, deps: AdminAppDeps): void {
  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req: Request, res: Response) => {
    const reasons = deps.notReadyReasons();
    res.status(reasons.length === 0 ? 200 : 503).json({ ready: reasons.length === 0, reasons });
  });
  app.get('/metrics', async (_req: Request, res: Response) => {
    res.set('Content-Type', deps.registry.contentType).send(await deps.registry.metrics());
  });
  app.get('/debug/ledger', (_req: Request, res: Response) => {
    res.json(deps.debugLedger());
  });
  if (deps.map) app.use(createMapRouter(deps.map));
}

/** The admin port: health, readiness, metrics, the ledger view, the occupancy map. */
export function createAdminApp(deps: AdminAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  addAdminRoutes(app, deps);
  app.use(notFound);
  return app;
}

/**
 * Both sets of routes on one app, for in-process use only (route tests and the extender benchmark,
 * which measure the verbs without a second port). `phalanx serve` never serves this.
 */
export function createServerApp(deps: ServerAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  addAdminRoutes(app, deps);
  app.use('/', deps.extender);
  app.use(notFound);
  return app;
}
