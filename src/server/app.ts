// Assembles the extender's express app: the verbs, health, readiness, metrics and a read-only debug
// view of the ledger. The webhook runs on its own HTTPS server (see webhook/).
import express, { type Express, type Request, type Response, type Router } from 'express';
import type { Registry } from 'prom-client';

export interface ServerAppDeps {
  readonly extender: Router;
  readonly registry: Registry;
  /** Ready = first full sync applied and (with HA) this replica leads. Returns the reasons it is not. */
  readonly notReadyReasons: () => string[];
  /** JSON view of the ledger for operators and the e2e suite. */
  readonly debugLedger: () => unknown;
}

export function createServerApp(deps: ServerAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
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
  app.use('/', deps.extender);
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });
  return app;
}
