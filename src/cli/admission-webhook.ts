// The admission webhook of `phalanx serve`: the admission use case over the owner reader, its HTTPS
// server, and — with a self-managed CA, shared by the replicas through a Secret — the CA bundle the
// leader publishes in the MutatingWebhookConfiguration.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AdmissionService } from '../app/admission/admission-service.js';
import { groupSizeFromIndex } from '../app/admission/gang-sizes.js';
import type { GangMemberIndex } from '../app/ports.js';
import type { Config } from '../config/schema.js';
import type { ClusterState } from '../core/cluster-state.js';
import { shareEnv } from '../core/devices/share-env.js';
import type { KubeClients } from '../kube/kube-config.js';
import type { KubeLogger } from '../kube/kube-logger.js';
import { ApiOwnerReader } from '../kube/owner-reader.js';
import { patchWebhookCaBundle } from '../kube/webhook-ca-patcher.js';
import { sharedWebhookCertificates } from '../kube/webhook-certificate-secret.js';
import { createAdmissionMetrics } from '../metrics/admission-metrics.js';
import { createWebhookRouter } from '../webhook/routes.js';
import { generateSelfSignedCertificates } from '../webhook/tls.js';
import { startWebhookServer, type WebhookServer, type WebhookTls } from '../webhook/webhook-server.js';
import type { Leadership } from './leadership.js';

export async function startAdmissionWebhook(opts: {
  readonly config: Config;
  readonly clients: KubeClients;
  readonly state: ClusterState;
  readonly registry: Registry;
  readonly leadership: Leadership;
  readonly logger: Logger;
  readonly kubeLog: KubeLogger;
  /**
   * The informer's gang index (serve.ts's PodIndex): switches on the check that a new member states
   * the same phalanx.dev/group-size as its live siblings. Without it that check is off.
   */
  readonly members?: GangMemberIndex;
}): Promise<WebhookServer> {
  const { config, clients, state, logger } = opts;
  const admission = new AdmissionService({
    owners: new ApiOwnerReader(clients),
    schedulerName: config.schedulerName,
    routeToScheduler: config.webhook.routeToScheduler,
    gateGangs: config.webhook.gateGangs,
    trustedUsernames: config.webhook.trustedUsernames,
    levels: config.topology.levels,
    maxDeviceMemoryBytes: () => maxDeviceMemory(state),
    limits: config.limits,
    ...(config.reservations.enabled ? { shareEnv: shareEnv(config.shareEnv) } : {}),
    ...(opts.members ? { groupSizeOf: groupSizeFromIndex(opts.members) } : {}),
  });
  const webhook = await startWebhookServer({
    router: createWebhookRouter({
      service: admission,
      metrics: createAdmissionMetrics(opts.registry),
      logger: logger.child({ component: 'webhook' }),
    }),
    host: config.webhook.host,
    port: config.webhook.port,
    tls: config.webhook.tls ? { kind: 'files', ...config.webhook.tls } : await selfManagedTls(opts),
    onCertificateReload: (err) =>
      err
        ? logger.warn({ err }, 'webhook certificate reload failed')
        : logger.info('webhook certificate reloaded'),
  });
  const caPem = webhook.caCert;
  if (caPem) {
    opts.leadership.whileLeading({
      start: () =>
        void patchWebhookCaBundle(clients.admissionRegistration, opts.kubeLog, {
          configurationName: config.webhook.configurationName,
          caPem,
        }).catch((err: unknown) => logger.error({ err }, 'could not publish the webhook CA bundle')),
    });
  }
  logger.info({ port: webhook.port, selfSigned: !!caPem }, 'webhook listening');
  return webhook;
}

/**
 * The self-managed certificate every replica serves, kept in a Secret; when the Secret cannot be
 * used (no RBAC for it, API down at start) this replica makes its own, as before, and says so.
 */
async function selfManagedTls(opts: {
  readonly config: Config;
  readonly clients: KubeClients;
  readonly logger: Logger;
  readonly kubeLog: KubeLogger;
}): Promise<WebhookTls> {
  const { config } = opts;
  const hosts = config.webhook.selfSignedHosts;
  try {
    const pems = await sharedWebhookCertificates(opts.clients.core, opts.kubeLog, {
      namespace: config.leaderElection.namespace,
      name: config.webhook.certificateSecret,
      hosts,
      generate: (h) => generateSelfSignedCertificates({ hosts: h }),
    });
    return { kind: 'pem', ...pems };
  } catch (err) {
    opts.logger.warn({ err }, 'webhook certificate Secret unusable; this replica makes its own CA');
    return { kind: 'self-signed', hosts };
  }
}

/** Largest device memory in the cluster, so the webhook can deny requests no device can hold. */
function maxDeviceMemory(state: ClusterState): number | undefined {
  let max = 0;
  for (const name of state.nodes()) {
    for (const d of state.nodeState(name)?.devices ?? []) max = Math.max(max, d.memoryBytes);
  }
  return max > 0 ? max : undefined;
}
