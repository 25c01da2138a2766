// `phalanx serve`: the composition root. Builds the core state, the Kubernetes adapters, the use
// cases and both HTTP servers from one validated Config, and tears them down gracefully.
import { createServer as createHttpServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { BindingWriter } from '../app/binding/binding-writer.js';
import { timerSleep } from '../app/binding/bind-retry.js';
import { HalfBoundGangs } from '../app/binding/half-bound-gangs.js';
import { stepDown } from '../app/binding/step-down.js';
import { AdmissionWaits } from '../app/admission/admission-waits.js';
import { GangCoordinator } from '../app/gang/gang-coordinator.js';
import { GangGates } from '../app/gang/gang-gates.js';
import { GangPreemption } from '../app/preemption/preempt-gangs.js';
import { PreemptService } from '../app/preemption/preempt-service.js';
import { SchedulingService } from '../app/scheduling/scheduling-service.js';
import type { Config } from '../config/schema.js';
import { ClusterState } from '../core/cluster-state.js';
import type { PlacementPolicy } from '../core/policies/policy.js';
import { policyByName } from '../core/policies/registry.js';
import type { Clock, PodDemand } from '../core/types.js';
import { createExtenderRouter } from '../extender/routes.js';
import { ClusterInformers } from '../kube/cluster-informers.js';
import { ClusterSync } from '../kube/cluster-sync.js';
import { ApiCreateRefusals } from '../kube/create-refusals.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { GpuMilliAdvertiser } from '../kube/gpu-milli-advertiser.js';
import { createKubeClients, loadKubeConfig } from '../kube/kube-config.js';
import { PodBinder } from '../kube/pod-binder.js';
import { NodeIndex } from '../kube/node-index.js';
import { IndexedNodeLookup } from '../kube/node-lookup.js';
import { PodIndex } from '../kube/pod-index.js';
import { GpuReservations } from '../app/reservations/gpu-reservations.js';
import { ApiReservationPods } from '../kube/reservation-pods.js';
import { observeReservation } from '../core/devices/reservation-pods.js';
import { apiKueueQueueSource } from '../kube/kueue-queues.js';
import { ApiPodEvictor } from '../kube/pod-evictor.js';
import { CachedPodReader } from '../kube/pod-reader.js';
import { createGangMetrics, gangObserver } from '../metrics/gang-metrics.js';
import { createKueueMetrics } from '../metrics/kueue-metrics.js';
import { createNodeCapacityMetrics } from '../metrics/node-capacity-metrics.js';
import { createQuotaMetrics, preemptObserver } from '../metrics/quota-metrics.js';
import { gpuMilliByNamespace } from '../core/ledger/namespace-usage.js';
import { createExtenderMetrics, createRegistry } from '../metrics/registry.js';
import { createAdminApp, createExtenderApp } from '../server/app.js';
import { createExtenderServer, extenderTransport } from '../server/extender-server.js';
import { startAdmissionWebhook } from './admission-webhook.js';
import { createLeadership, fencedApi } from './leadership.js';
import { ledgerView } from './ledger-view.js';

const clock: Clock = { now: () => Date.now() };

/** Go clients keep idle connections 90 s; a shorter server keep-alive races requests into resets. */
const KEEP_ALIVE_MS = 95_000;

export interface Running {
  readonly extenderPort: number;
  /** Health, readiness, metrics and /debug/ledger. */
  readonly adminPort: number;
  readonly webhookPort?: number;
  stop(): Promise<void>;
}

function policyResolver(config: Config): (demand: PodDemand) => PlacementPolicy {
  // One instance per name for the process: learning policies keep what they learned.
  const instances = new Map<string, PlacementPolicy>();
  const get = (name: string): PlacementPolicy => {
    let policy = instances.get(name);
    if (!policy) instances.set(name, (policy = policyByName(name, 'policy')));
    return policy;
  };
  get(config.policy); // fail at start on an unknown configured policy
  return (demand) => get(demand.policy ?? config.policy);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function serve(config: Config, logger: Logger, env: NodeJS.ProcessEnv): Promise<Running> {
  // Refuse a configuration that names no extender transport before anything starts.
  const transport = extenderTransport(config.extender);
  const registry = createRegistry();
  const metrics = createExtenderMetrics(registry);
  const kc = loadKubeConfig({
    kubeconfig: config.kube.kubeconfig,
    inCluster: !!env['KUBERNETES_SERVICE_HOST'],
  });
  const clients = createKubeClients(kc);
  const kubeLog = logger.child({ component: 'kube' });
  const levels = config.topology.levels;
  const state = new ClusterState({ levels });
  const policyFor = policyResolver(config);
  const identity = config.leaderElection.identity ?? `${hostname()}-${process.pid}`;

  // Every write is fenced on the Lease (checked right before it goes out): Bindings through the
  // BindingWriter, evictions, node status and webhook CA patches through fenced clients.
  const leadership = createLeadership({
    config: config.leaderElection,
    clients,
    identity,
    clock,
    logger: kubeLog,
  });
  const fencedCore = fencedApi(clients.core, leadership, [
    'deleteNamespacedPod',
    'patchNamespacedPodStatus',
    'patchNodeStatus',
  ]);
  const evictor = new ApiPodEvictor(fencedCore, clock);
  const binder = new PodBinder({ api: clients.core, logger: kubeLog });
  const events = new KubeEventRecorder({ api: clients.core, clock, logger: kubeLog, instance: identity });
  // The informers' pod index: built first, filled by ClusterSync (created last, once its listeners exist).
  const podIndex = new PodIndex();
  const nodeIndex = new NodeIndex();
  const pods = new CachedPodReader({ get: (ns, name) => podIndex.get(ns, name) }, clients.core);
  // GPU reservations: a pod per shared device holds it away from the device plugin's other pods and
  // reports its UUID, which the first share's bind waits for (app/reservations). Leader only.
  const reservations = config.reservations.enabled
    ? new GpuReservations({
        namespace: config.reservations.namespace,
        state,
        pods: new ApiReservationPods(
          fencedApi(clients.core, leadership, ['createNamespacedPod', 'deleteNamespacedPod']),
          config.reservations,
        ),
        clock,
        uuidWaitMs: config.reservations.uuidWaitMs,
        releaseAfterMs: config.reservations.releaseAfterMs,
        active: () => notServingReason() === undefined,
        events,
        onAction: (action, detail) => kubeLog.info(detail, `GPU reservation ${action}`),
        onError: (action, err, detail) =>
          kubeLog.warn({ err, ...detail }, `GPU reservation ${action} failed`),
      })
    : undefined;
  const binding = new BindingWriter({
    ...(reservations ? { deviceStep: (pod, assignment) => reservations.bindStep(pod, assignment) } : {}),
    state,
    binder,
    pods,
    fence: leadership,
    onBound: () => metrics.bindsTotal.inc(),
  });
  const gangs = new GangCoordinator({
    state,
    members: podIndex,
    pods,
    clock,
    levels,
    policyFor,
    nodes: new IndexedNodeLookup(nodeIndex, podIndex),
    binding,
    reservationTtlMs: config.timeouts.reservationTtlMs,
    bindBarrierMs: config.timeouts.bindBarrierMs,
    // A gang that cannot be bound whole after its barrier opened has its bound members evicted.
    evictor,
    fence: leadership,
    onUnwindGiveUp: (pod, reason) =>
      kubeLog.error(
        { pod: `${pod.namespace}/${pod.name}`, reason },
        'gang member left bound: eviction failed',
      ),
    events,
    observer: gangObserver(createGangMetrics(registry)),
  });
  // The safety net for gangs the barrier could not unwind (process died or lost the Lease mid-bind).
  const halfBound = new HalfBoundGangs({
    members: podIndex,
    clock,
    levels,
    planned: () => new Set(gangs.plans().map((g) => g.key)),
    unwind: {
      evictor,
      events,
      fence: leadership,
      sleep: timerSleep,
      onGiveUp: (pod, reason) =>
        kubeLog.error(
          { pod: `${pod.namespace}/${pod.name}`, reason },
          'gang member left bound: eviction failed',
        ),
    },
  });
  const gates = new GangGates({ members: podIndex, binder });
  // GPU shares as node capacity, for Kueue TAS and `kubectl describe node`; written by the leader only.
  const capacityWrites = createNodeCapacityMetrics(registry).gpuMilliWrites;
  const advertiser = config.advertiseGpuMilli
    ? new GpuMilliAdvertiser({
        api: fencedCore,
        logger: kubeLog,
        onWritten: () => capacityWrites.inc({ outcome: 'written' }),
        onFailed: () => capacityWrites.inc({ outcome: 'failed' }),
      })
    : undefined;

  leadership.whileLeading({ start: () => metrics.leader.set(1), stop: () => metrics.leader.set(0) });
  if (advertiser) leadership.whileLeading(advertiser);

  // Ready = synced, on every replica (a standby is a warm spare, and rollouts need it Ready); only
  // the leader serves, and the Services reach only the leader through its pod label. The informers
  // are created below; these are read only once serving starts.
  // A watch down longer than a short grace (backing off up to 30 s) means a stale view: not ready.
  let synced = (): boolean => false;
  let notLive = (): string[] => [];
  const notReadyReasons = (): string[] => {
    if (!synced()) return ['cluster view not synced yet'];
    const down = notLive();
    return down.length > 0 ? [`watch of ${down.join(', ')} not live`] : [];
  };
  const notServingReason = (): string | undefined => {
    const reasons = notReadyReasons();
    // The fence, not just isLeader: serving stops the moment writes would be refused.
    if (!leadership.holdsLeaseWithMargin()) reasons.push('not the leader');
    return reasons.length > 0 ? `phalanx not serving: ${reasons.join('; ')}` : undefined;
  };
  const active = (): boolean => notServingReason() === undefined;

  const scheduling = new SchedulingService({
    state,
    policyFor,
    pods,
    binding,
    clock,
    reservationTtlMs: config.timeouts.reservationTtlMs,
    levels,
    notServingReason,
    gangs,
    limits: config.limits,
  });

  const quota = createQuotaMetrics(registry, () =>
    gpuMilliByNamespace(state.ledger.committed(), (uid) => podIndex.byUid(uid)?.metadata?.namespace),
  );
  const preempt = new PreemptService({
    state,
    nodePods: podIndex,
    gangs: podIndex,
    levels,
    notServingReason,
    observer: preemptObserver(quota),
  });
  // The scheduler evicts a preempted gang's members on its chosen node only; Phalanx takes the rest.
  const gangPreemption = new GangPreemption({
    members: podIndex,
    evictor,
    active,
    events,
    onEvicted: (count) => quota.gangMatesEvicted.inc(count),
    onError: (pod, err) => kubeLog.warn({ err, pod: `${pod.namespace}/${pod.name}` }, 'gang eviction failed'),
  });
  // Pods and gangs that wait for quota or Kueue admission are told so (Events), not left to guess.
  const admissionWaits = new AdmissionWaits({
    members: podIndex,
    refusals: new ApiCreateRefusals(clients.core, clock),
    events,
    clock,
    levels,
    schedulerName: config.schedulerName,
    active,
  });
  // Kueue's borrowing per ClusterQueue, when Kueue is installed (discovered; nothing otherwise).
  const kueueQueues = apiKueueQueueSource(clients.config, clients.customObjects, clock, kubeLog);
  createKueueMetrics(registry, () => kueueQueues.borrowed());

  const sync = new ClusterSync(
    state,
    kubeLog,
    {
      onRejectedFact: () => metrics.ledgerRejectedFacts.inc(),
      gpusCountedElsewhere: (pod) =>
        reservations !== undefined && observeReservation(pod, config.reservations.namespace) !== undefined,
      onNodeSeen: (node) => advertiser?.nodeSeen(node),
      onNodeDeleted: (name) => advertiser?.nodeDeleted(name),
      onPodChanged: (pod) => {
        halfBound.podChanged(pod);
        void gates.podChanged(pod).catch((err: unknown) => kubeLog.warn({ err }, 'gate lift failed'));
        gangPreemption.podChanged(pod);
        admissionWaits.podChanged(pod);
        reservations?.podChanged(pod);
      },
      onPodDeleted: (pod) => {
        reservations?.podDeleted(pod);
        if (pod.metadata?.uid) gangs.memberDeleted(pod.metadata.uid);
        gangPreemption.podChanged(pod);
      },
    },
    { pods: podIndex, nodes: nodeIndex },
  );
  const informers = new ClusterInformers({
    clients,
    sync,
    clock,
    logger: kubeLog,
    stallMs: config.timeouts.watchStallMs,
    hooks: {
      onRestart: (resource) => metrics.informerRestarts.inc({ resource }),
      onActivity: (resource, atMs) => metrics.informerLastEvent.set({ resource }, atMs / 1000),
      onStale: (resource, stale) => metrics.informerStale.set({ resource }, stale ? 1 : 0),
    },
  });

  synced = () => informers.isSynced();
  notLive = () => informers.notLive();

  // Housekeeping: return expired reservations and publish ledger totals.
  const housekeeping = setInterval(() => {
    const expired = state.expire(clock.now());
    if (expired.length > 0) {
      metrics.reservationsExpired.inc(expired.length);
      logger.info({ pods: expired.length }, 'reservations expired');
    }
    gangs.sweep();
    if (leadership.holdsLeaseWithMargin()) halfBound.sweep();
    admissionWaits.sweep();
    reservations?.kick();
    const totals = state.totals();
    metrics.gpuMilliCapacity.set(totals.capacityMilli);
    metrics.gpuMilliAllocated.set(totals.committedMilli);
    metrics.gpuMilliReserved.set(totals.usedMilli - totals.committedMilli);
    metrics.reservations.set(state.ledger.reservations().length);
    metrics.ready.set(notReadyReasons().length === 0 ? 1 : 0);
  }, 1_000);
  housekeeping.unref();

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const extenderRouter = createExtenderRouter({
    verbs: {
      filter: (pod, names) => scheduling.filter(pod, names),
      prioritize: (pod, names) => scheduling.prioritize(pod, names),
      preempt: (pod, candidates) => preempt.preempt(pod, candidates),
      bind: async (request) => {
        inFlight++;
        try {
          return await scheduling.bind(request);
        } finally {
          if (--inFlight === 0) drained?.();
        }
      },
    },
    metrics,
    logger: logger.child({ component: 'extender' }),
    bodyLimitBytes: config.extender.bodyLimitBytes,
  });
  // The verbs alone on the extender port (client certificates required); probes, metrics and the
  // ledger view on the admin port.
  let refusedHandshakes = 0;
  let refusalLoggedAt = 0;
  const extender = await createExtenderServer(createExtenderApp({ extender: extenderRouter }), transport, {
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
  const adminServer = createHttpServer(
    createAdminApp({ registry, notReadyReasons, debugLedger: () => ledgerView(state) }),
  );
  adminServer.keepAliveTimeout = KEEP_ALIVE_MS;
  extenderServer.keepAliveTimeout = KEEP_ALIVE_MS;
  // On losing the Lease, drop the scheduler's connections at once: its next call goes through the
  // Service to the new leader instead of a kept-alive socket to this replica.
  // Its plans and reservations go too (app/binding/step-down.ts): only the API server's view stays.
  leadership.whileLeading({
    start: () => undefined,
    stop: () => {
      extenderServer.closeAllConnections();
      const dropped = stepDown(state, gangs);
      logger.warn({ reservations: dropped }, 'stopped leading: connections closed, plans released');
    },
  });
  extenderServer.headersTimeout = KEEP_ALIVE_MS + 5_000;

  informers.start();
  leadership.start();
  const extenderPort = await listen(extenderServer, config.extender.port, config.extender.host);
  logger.info(
    {
      port: extenderPort,
      https: extender.https,
      clientCertificates: extender.https,
      policy: config.policy,
      levels,
    },
    'extender listening',
  );
  const adminPort = await listen(adminServer, config.admin.port, config.admin.host);
  logger.info({ port: adminPort }, 'admin listening (healthz, readyz, metrics, debug)');

  const webhook = config.webhook.enabled
    ? await startAdmissionWebhook({
        config,
        members: podIndex,
        clients: {
          ...clients,
          admissionRegistration: fencedApi(clients.admissionRegistration, leadership, [
            'patchMutatingWebhookConfiguration',
          ]),
        },
        state,
        registry,
        leadership,
        logger,
        kubeLog,
      })
    : undefined;

  return {
    extenderPort,
    adminPort,
    ...(webhook ? { webhookPort: webhook.port } : {}),
    async stop() {
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
      clearInterval(housekeeping);
      await Promise.all([webhook?.close(), leadership.stop(), informers.stop()]);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      // Last: probes and scrapes answer until the end.
      await new Promise<void>((resolve) => {
        adminServer.close(() => resolve());
        adminServer.closeAllConnections();
      });
    },
  };
}
