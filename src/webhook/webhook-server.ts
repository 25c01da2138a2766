// The webhook's own HTTPS server: the router from routes.ts (health and readiness are served on the
// extender port only), with certificate files
// (reloaded on change) or a self-managed CA. Timeouts suit the apiserver's Go client.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response, type Router } from 'express';
import {
  generateSelfSignedCertificates,
  readCertificateFiles,
  watchTlsFiles,
  type CertificateFiles,
} from './tls.js';

/** Names of the webhooks in deploy/webhook/mutating-webhook.yaml (the caBundle patch addresses them). */
export const WEBHOOK_NAMES = { pods: 'pods.phalanx.dev', decisions: 'decisions.phalanx.dev' } as const;

export type WebhookTls =
  | ({ readonly kind: 'files'; readonly reloadIntervalMs?: number } & CertificateFiles)
  | { readonly kind: 'self-signed'; readonly hosts: readonly string[] }
  /** A self-managed CA and serving pair made elsewhere (shared by every replica through a Secret). */
  | { readonly kind: 'pem'; readonly caCert: string; readonly cert: string; readonly key: string };

export interface WebhookServerOptions {
  readonly router: Router;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly tls: WebhookTls;
  /** Certificate reload outcomes (files mode). */
  readonly onCertificateReload?: (error?: unknown) => void;
}

export interface WebhookServer {
  readonly server: Server;
  readonly port: number;
  /** PEM CA to publish as caBundle (self-managed modes only). */
  readonly caCert?: string;
  close(): Promise<void>;
}

/** Go's http.Transport keeps idle connections 90 s; closing ours earlier races requests into resets. */
const KEEP_ALIVE_MS = 95_000;
/** The webhook's timeoutSeconds is at most 30. */
const REQUEST_TIMEOUT_MS = 30_000;

export function createWebhookApp(router: Router): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use('/', router);
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });
  return app;
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const generated =
    opts.tls.kind === 'self-signed'
      ? await generateSelfSignedCertificates(opts.tls)
      : opts.tls.kind === 'pem'
        ? opts.tls
        : undefined;
  const pair = generated ?? (await readCertificateFiles(opts.tls as CertificateFiles));
  const server = createServer({ cert: pair.cert, key: pair.key }, createWebhookApp(opts.router));
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  const stopWatching =
    opts.tls.kind === 'files'
      ? watchTlsFiles(server, opts.tls, {
          ...(opts.tls.reloadIntervalMs !== undefined ? { intervalMs: opts.tls.reloadIntervalMs } : {}),
          onReload: () => opts.onCertificateReload?.(),
          onError: (error) => opts.onCertificateReload?.(error),
        })
      : () => undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    ...(generated ? { caCert: generated.caCert } : {}),
    close: () =>
      new Promise<void>((resolve, reject) => {
        stopWatching();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
