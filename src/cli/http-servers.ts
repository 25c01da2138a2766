// The two listeners of `phalanx serve`: the extender (the verbs alone, client certificates required
// unless plain HTTP was asked for) with binds counted so shutdown can drain them, and the admin port
// (probes, metrics, the ledger view), which answers until the very end.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SchedulingVerbs } from '../app/verbs.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/types.js';
import { createExtenderHandler } from '../extender/routes.js';
import type { ExtenderMetrics } from '../metrics/registry.js';
import { createAdminApp } from '../server/app.js';
import { createExtenderServer, type ExtenderTransport } from '../server/extender-server.js';
import type { MapSource } from '../server/map-routes.js';

/** Go clients keep idle connections 90 s; a shorter server keep-alive races requests into resets. */
const KEEP_ALIVE_MS = 95_000;

export interface HttpServersOptions {
  readonly config: Config;
  readonly transport: ExtenderTransport;
  readonly verbs: Required<SchedulingVerbs>;
  readonly metrics: ExtenderMetrics;
  readonly registry: Registry;
  readonly notReadyReasons: () => string[];
  readonly debugLedger: () => unknown;
  /** The occupancy map served at /map. */
  readonly map?: MapSource;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface HttpServers {
  readonly extenderPort: number;
  readonly adminPort: number;
  /** Drops every extender connection at once (the scheduler reconnects through the Service). */
  closeExtenderConnections(): void;
  /** Stops taking verbs, waits for binds in flight (bounded), then runs `beforeAdmin` and closes the admin port. */
  stop(beforeAdmin: () => Promise<void>): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startHttpServers(opts: HttpServersOptions): Promise<HttpServers> {
  const { config, logger, clock, verbs } = opts;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  // The verbs alone, without express: the scheduler's round trips are the hot path (routes.ts).
  const extenderHandler = createExtenderHandler({
    verbs: {
      filter: (pod, names) => verbs.filter(pod, names),
      prioritize: (pod, names) => verbs.prioritize(pod, names),
      prioritizeAhead: (pod, names) => verbs.prioritizeAhead?.(pod, names),
      preempt: (pod, candidates) => verbs.preempt(pod, candidates),
      awaitOwnVictims: (pod, names) => verbs.awaitOwnVictims?.(pod, names),
      bind: async (request) => {
        inFlight++;
        try {
          return await verbs.bind(request);
        } finally {
          if (--inFlight === 0) drained?.();
        }
      },
    },
    metrics: opts.metrics,
    logger: logger.child({ component: 'extender' }),
    bodyLimitBytes: config.extender.bodyLimitBytes,
    prioritizeAhead: config.filter.prioritizeAhead,
  });
  let refusedHandshakes = 0;
  let refusalLoggedAt = 0;
  const extender = await createExtenderServer((req, res) => extenderHandler(req, res), opts.transport, {
    onCertificateReload: (err) =>
      err
        ? logger.warn({ err }, 'extender certificate reload failed')
        : logger.info('extender certificate reloaded'),
    onHandshakeRefused: (err, remoteAddress) => {
      // At most one line a minute: a scanner must not flood the log.
      refusedHandshakes++;
      if (clock.now() - refusalLoggedAt < 60_000) return;
      refusalLoggedAt = clock.now();
      logger.warn(
        { err: err.message, remoteAddress, refusedSinceLastLine: refusedHandshakes },
        'extender TLS handshake refused (no or untrusted client certificate)',
      );
      refusedHandshakes = 0;
    },
  });
  const extenderServer: Server = extender.server;
  if (!extender.https) {
    logger.warn(
      'extender serves plain HTTP without authentication (extender.plainHttp): local development only',
    );
  }
  extenderServer.keepAliveTimeout = KEEP_ALIVE_MS;
  extenderServer.headersTimeout = KEEP_ALIVE_MS + 5_000;
  const adminServer = createHttpServer(
    createAdminApp({
      registry: opts.registry,
      notReadyReasons: opts.notReadyReasons,
      debugLedger: opts.debugLedger,
      ...(opts.map ? { map: opts.map } : {}),
    }),
  );
  adminServer.keepAliveTimeout = KEEP_ALIVE_MS;

  const extenderPort = await listen(extenderServer, config.extender.port, config.extender.host);
  logger.info(
    {
      port: extenderPort,
      https: extender.https,
      clientCertificates: extender.https,
      policy: config.policy,
      levels: config.topology.levels,
    },
    'extender listening',
  );
  const adminPort = await listen(adminServer, config.admin.port, config.admin.host);
  logger.info({ port: adminPort }, 'admin listening (healthz, readyz, metrics, debug)');

  return {
    extenderPort,
    adminPort,
    closeExtenderConnections: () => extenderServer.closeAllConnections(),
    async stop(beforeAdmin) {
      logger.info({ inFlightBinds: inFlight }, 'shutting down');
      const closed = new Promise<void>((resolve) => extenderServer.close(() => resolve()));
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, config.timeouts.bindBarrierMs + 5_000).unref()),
        ]);
      }
      extenderServer.closeIdleConnections();
      extender.stopWatching();
      await beforeAdmin();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      // Last: probes and scrapes answer until the end.
      await new Promise<void>((resolve) => {
        adminServer.close(() => resolve());
        adminServer.closeAllConnections();
      });
    },
  };
}
