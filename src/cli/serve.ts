// `phalanx serve`: the composition root. Builds the core state, the Kubernetes adapters, the use
// cases and both HTTP servers from one validated Config, and tears them down gracefully.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { BindingWriter } from '../app/binding/binding-writer.js';
import { timerSleep } from '../app/binding/bind-retry.js';
import { HalfBoundGangs } from '../app/binding/half-bound-gangs.js';
import { stepDown } from '../app/binding/step-down.js';
import { AdmissionWaits } from '../app/admission/admission-waits.js';
import { GangCoordinator } from '../app/gang/gang-coordinator.js';
import { GangGates } from '../app/gang/gang-gates.js';
import { PlanAheadOnce } from '../app/gang/plan-ahead-once.js';
import { GangPreemption } from '../app/preemption/preempt-gangs.js';
import { LeavingVictims } from '../app/preemption/leaving-victims.js';
import { SentPods } from '../app/scheduling/sent-pods.js';
import { PreemptService } from '../app/preemption/preempt-service.js';
import { holdKey, PreemptionHolds } from '../app/preemption/preemption-holds.js';
import { SchedulingService } from '../app/scheduling/scheduling-service.js';
import type { Config } from '../config/schema.js';
import { ClusterState } from '../core/cluster-state.js';
import type { PodShape } from '../core/kube-shapes.js';
import type { PlacementPolicy } from '../core/policies/policy.js';
import { policyByName } from '../core/policies/registry.js';
import type { Clock, PodDemand } from '../core/types.js';
import { ClusterInformers } from '../kube/cluster-informers.js';
import { ClusterSync } from '../kube/cluster-sync.js';
import { ApiCreateRefusals } from '../kube/create-refusals.js';
import { KubeEventRecorder } from '../kube/event-recorder.js';
import { GpuMilliAdvertiser } from '../kube/gpu-milli-advertiser.js';
import { createKubeClients, loadKubeConfig } from '../kube/kube-config.js';
import { PodBinder } from '../kube/pod-binder.js';
import { leanPodBindings } from '../kube/binding-request.js';
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
import { createFabricMetrics } from '../metrics/fabric-metrics.js';
import { holderFromPod, OccupancyMap } from '../core/occupancy/occupancy-map.js';
import { createQuotaMetrics, preemptObserver } from '../metrics/quota-metrics.js';
import { gpuMilliByNamespace } from '../core/ledger/namespace-usage.js';
import { createExtenderMetrics, createRegistry } from '../metrics/registry.js';
import { extenderTransport } from '../server/extender-server.js';
import { startAdmissionWebhook } from './admission-webhook.js';
import { placeholderController } from './autoscaling-wiring.js';
import { preemptionController } from './preemption-wiring.js';
import { startHttpServers } from './http-servers.js';
import { createLeadership, fencedApi } from './leadership.js';
import { ledgerView } from './ledger-view.js';

const clock: Clock = { now: () => Date.now() };

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
    'createNamespacedPodEviction',
    'patchNamespacedPodStatus',
    'patchNodeStatus',
  ]);
  const evictor = new ApiPodEvictor(fencedCore, clock);
  const binder = new PodBinder({
    api: clients.core,
    bindings: leanPodBindings(clients.config),
    logger: kubeLog,
  });
  const events = new KubeEventRecorder({ api: clients.core, clock, logger: kubeLog, instance: identity });
  // The informers' pod index: built first, filled by ClusterSync (created last, once its listeners exist).
  const podIndex = new PodIndex();
  const nodeIndex = new NodeIndex();
  // The informer's pods, then those kube-scheduler sent with filter (a bind may come first), then the API.
  const sentPods = new SentPods();
  const pods = new CachedPodReader(
    { get: (ns, name) => podIndex.get(ns, name) ?? sentPods.get(ns, name) },
    clients.core,
  );
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
    onBound: (pod, assignment) => {
      metrics.bindsTotal.inc();
      podIndex.assumeBound(pod.uid, assignment.node);
    },
  });
  // Capacity freed by Phalanx's own preemption, held for its preemptor (app/preemption).
  const preemptionHolds = config.preemption.enabled ? new PreemptionHolds(state) : undefined;
  const preemptFor = (pod: PodShape, demand: PodDemand, offered?: readonly string[]): void =>
    preemption?.request(pod, demand, offered);
  const gangs = new GangCoordinator({
    ...(preemptionHolds ? { held: preemptionHolds, noRoom: preemptFor } : {}),
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
    commit: config.gangCommit,
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
    graceMs: config.timeouts.halfBoundGraceMs,
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
  // The occupancy map (/map, `phalanx map`) and the fabric metrics read the same fabric.
  const occupancy = new OccupancyMap({
    state,
    levels,
    holder: (uid) => {
      const pod = podIndex.byUid(uid);
      return pod === undefined ? undefined : holderFromPod(pod);
    },
    plans: () => gangs.plans(),
    schedulerName: config.schedulerName,
    clock,
  });
  createFabricMetrics(registry, () => occupancy.fabric());
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
    ...(preemptionHolds ? { noRoom: preemptFor } : {}),
    filterAnswer: config.filter,
    sentPods,
  });

  const quota = createQuotaMetrics(registry, () =>
    gpuMilliByNamespace(state.ledger.committed(), (uid) => podIndex.byUid(uid)?.metadata?.namespace),
  );
  /** The key of the hold Phalanx's own preemption makes for the pod: its gang's, or its own. */
  const holdKeyOf = (pod: PodShape): string => {
    let gang: string | undefined;
    try {
      gang = scheduling.demandOf(pod).gang?.key;
    } catch {
      // An invalid request has no hold.
    }
    return holdKey(gang, pod.metadata?.uid);
  };
  // The preempt verb's choices until Phalanx sees those victims go: kube-scheduler may see it first.
  const leavingVictims = new LeavingVictims({
    ledger: state.ledger,
    clock,
    podByUid: (uid) => podIndex.byUid(uid),
    keepMs: config.preemption.holdTtlMs,
  });
  const preempt = new PreemptService({
    state,
    nodePods: podIndex,
    gangs: podIndex,
    levels,
    notServingReason,
    observer: preemptObserver(quota),
    leaving: leavingVictims,
    ...(preemptionHolds ? { wholeGangs: preemptFor } : {}),
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
  // Demand an autoscaler can see: placeholder pods for waiting shares and gangs (app/autoscaling). Leader only.
  const placeholders = placeholderController({
    config,
    clients,
    fence: leadership,
    nodeIndex,
    registry,
    clock,
    active,
    logger: kubeLog,
  });
  // Preemption for what kube-scheduler cannot preempt for: whole gangs and GPU shares. Leader only.
  const preemption = preemptionHolds
    ? preemptionController({
        config,
        clients,
        fencedCore,
        state,
        holds: preemptionHolds,
        podIndex,
        nodeIndex,
        events,
        registry,
        clock,
        active,
        logger: kubeLog,
      })
    : undefined;
  // Kueue's borrowing per ClusterQueue, when Kueue is installed (discovered; nothing otherwise).
  const kueueQueues = apiKueueQueueSource(clients.config, clients.customObjects, clock, kubeLog);
  createKueueMetrics(registry, () => kueueQueues.borrowed());

  // Once per term as leader, with a current view: plan the gangs whose members wait, before the
  // scheduler's retries let other pods into the domains they need (GangCoordinator.planAhead).
  const planAhead = new PlanAheadOnce({
    members: podIndex,
    schedulerName: config.schedulerName,
    gangs,
    demandOf: (pod) => scheduling.demandOf(pod),
    leading: () => leadership.holdsLeaseWithMargin(),
    onPlanned: (planned) => logger.info({ gangs: planned }, 'gangs planned ahead of their members'),
  });

  const sync = new ClusterSync(
    state,
    kubeLog,
    {
      onRejectedFact: () => metrics.ledgerRejectedFacts.inc(),
      // The ledger now holds every bound pod: the earliest moment a new process can plan ahead.
      onAccounted: () => planAhead.trigger(true),
      gpusCountedElsewhere: (pod) =>
        reservations !== undefined && observeReservation(pod, config.reservations.namespace) !== undefined,
      onNodeSeen: (node) => advertiser?.nodeSeen(node),
      onNodeDeleted: (name) => advertiser?.nodeDeleted(name),
      onPodChanged: (pod) => {
        occupancy.podChanged(pod);
        halfBound.podChanged(pod);
        void gates.podChanged(pod).catch((err: unknown) => kubeLog.warn({ err }, 'gate lift failed'));
        gangPreemption.podChanged(pod);
        preemption?.podChanged(pod);
        admissionWaits.podChanged(pod);
        reservations?.podChanged(pod);
        placeholders?.podChanged(pod);
      },
      onPodDeleted: (pod) => {
        occupancy.podDeleted(pod);
        reservations?.podDeleted(pod);
        placeholders?.podDeleted(pod);
        if (pod.metadata?.uid) gangs.memberDeleted(pod.metadata.uid);
        gangPreemption.podChanged(pod);
        preemption?.podDeleted(pod);
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
    planAhead.trigger(synced());
    if (leadership.holdsLeaseWithMargin()) halfBound.sweep();
    admissionWaits.sweep();
    preemption?.sweep();
    reservations?.kick();
    placeholders?.tick();
    const totals = state.totals();
    metrics.gpuMilliCapacity.set(totals.capacityMilli);
    metrics.gpuMilliAllocated.set(totals.committedMilli);
    metrics.gpuMilliReserved.set(totals.usedMilli - totals.committedMilli);
    metrics.reservations.set(state.ledger.reservations().length);
    metrics.ready.set(notReadyReasons().length === 0 ? 1 : 0);
  }, 1_000);
  housekeeping.unref();

  // Until the informers have synced, the verbs answer 'not serving' and /readyz says why.
  const http = await startHttpServers({
    config,
    transport,
    verbs: {
      filter: (pod, names) => scheduling.filter(pod, names),
      prioritize: (pod, names) => scheduling.prioritize(pod, names),
      prioritizeAhead: (pod, names) => scheduling.prioritizeAhead(pod, names),
      preempt: (pod, candidates) => preempt.preempt(pod, candidates),
      awaitOwnVictims: (pod, names) =>
        leavingVictims.released(pod, names) ?? preemptionHolds?.released(holdKeyOf(pod), names),
      bind: (request) => scheduling.bind(request),
    },
    metrics,
    registry,
    notReadyReasons,
    debugLedger: () => ledgerView(state),
    map: occupancy,
    clock,
    logger,
  });
  // On losing the Lease, drop the scheduler's connections at once: its next call goes through the
  // Service to the new leader instead of a kept-alive socket to this replica.
  // Its plans and reservations go too (app/binding/step-down.ts): only the API server's view stays.
  leadership.whileLeading({
    // At once when the view is already current; else the first housekeeping tick after it is.
    start: () => planAhead.trigger(synced()),
    stop: () => {
      planAhead.reset();
      http.closeExtenderConnections();
      preemptionHolds?.clear();
      const dropped = stepDown(state, gangs);
      logger.warn({ reservations: dropped }, 'stopped leading: connections closed, plans released');
    },
  });
  informers.start();
  leadership.start();

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
    extenderPort: http.extenderPort,
    adminPort: http.adminPort,
    ...(webhook ? { webhookPort: webhook.port } : {}),
    stop: () =>
      http.stop(async () => {
        clearInterval(housekeeping);
        await Promise.all([webhook?.close(), leadership.stop(), informers.stop()]);
      }),
  };
}
