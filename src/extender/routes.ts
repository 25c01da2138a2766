// POST /filter, /prioritize, /bind, /preempt: kube-scheduler extender verbs over the scheduling use cases.
// Malformed bodies get 400 naming the field; internal errors get 200 with Error set, which is the
// scheduler's contract for "this pod failed, requeue it" (protocol.md §2.7).
// A plain node:http handler: every pod costs the scheduler a synchronous filter and prioritize round
// trip, so the hot path is body bytes → parse → verb → a cached reply Buffer, without a framework's
// per-request layers; node-name lists sent unchanged are not parsed again (node-name-lists.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { NodeShape } from '../core/kube-shapes.js';
import { REJECT_CAUSES } from '../app/placement/node-fit.js';
import type { FilterOutcome, HostScore, SchedulingVerbs } from '../app/verbs.js';
import type { ExtenderMetrics } from '../metrics/registry.js';
import { NodeNameLists } from './node-name-lists.js';
import { PriorityReplies } from './priority-reply.js';
import { parseBindingArgs, parseExtenderArgs, parsePreemptionArgs, WireError } from './parse-args.js';
import { BodyReader, hasBody } from './read-body.js';
import type {
  ExtenderArgs,
  ExtenderBindingResult,
  ExtenderFilterResult,
  ExtenderPreemptionArgs,
  ExtenderPreemptionResult,
} from './wire.js';

export interface ExtenderRouteDeps {
  readonly verbs: SchedulingVerbs;
  readonly metrics: ExtenderMetrics;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  /**
   * After a filter reply that names two or more nodes, compute the prioritize answer over them
   * before kube-scheduler asks (see prioritizeAhead below). Default true.
   */
  readonly prioritizeAhead?: boolean;
}

function nodeNamesOf(args: ExtenderArgs): readonly string[] {
  if (args.NodeNames !== null) return args.NodeNames;
  return (args.Nodes?.items ?? []).map((n: NodeShape) => n.metadata?.name ?? '');
}

function podName(args: Pick<ExtenderArgs, 'Pod'>): string {
  return `${args.Pod.metadata?.namespace ?? ''}/${args.Pod.metadata?.name ?? ''}`;
}

/** A filter reply in node-objects form: the request's own objects of the feasible nodes. */
function nodesReply(
  args: ExtenderArgs,
  feasible: readonly string[],
): Pick<ExtenderFilterResult, 'Nodes' | 'NodeNames'> {
  const keep = new Set(feasible);
  const items = (args.Nodes?.items ?? []).filter((n) => keep.has(n.metadata?.name ?? ''));
  return { Nodes: { metadata: {}, items }, NodeNames: null };
}

/** node → UIDs the scheduler proposed, from either request form. */
function preemptCandidates(args: ExtenderPreemptionArgs): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [node, v] of Object.entries(args.NodeNameToMetaVictims ?? {}))
    out[node] = v.Pods.map((p) => p.UID);
  for (const [node, v] of Object.entries(args.NodeNameToVictims ?? {})) {
    out[node] = v.Pods.map((p) => p.metadata?.uid ?? '').filter((uid) => uid !== '');
  }
  return out;
}

/** Verbs served here: the only `verb` labels (any other path is counted as "other"). */
const VERBS: ReadonlySet<string> = new Set(['filter', 'prioritize', 'bind', 'preempt']);

function verbLabel(path: string): string {
  const verb = path.replace(/^\//, '');
  return VERBS.has(verb) ? verb : 'other';
}

/**
 * A rejection's metric label: one of the fixed causes (app/placement RejectCause), or "other".
 * Never text from a reason or a request (reasons name nodes, devices and gangs): one series per
 * cause, whatever pods and node lists arrive.
 */
function reasonLabel(reason: string): string {
  return REJECT_CAUSES.has(reason) ? reason : 'other';
}

/** Counts rejected nodes by cause: precounted by the verb, else by the fixed cause a reason states. */
function countRejections(outcome: FilterOutcome, metrics: ExtenderMetrics): void {
  const counts = new Map<string, number>();
  const add = (label: string, n: number): void => {
    counts.set(label, (counts.get(label) ?? 0) + n);
  };
  if (outcome.rejected !== undefined) {
    for (const [cause, n] of outcome.rejected) add(reasonLabel(cause), n);
  } else {
    for (const map of [outcome.failed, outcome.unresolvable]) {
      for (const reason of Object.values(map)) add(reasonLabel(reason), 1);
    }
  }
  for (const [reason, n] of counts) metrics.filterRejections.inc({ reason }, n);
}

/** A reply ready to write: status and JSON bytes. */
interface Reply {
  readonly status: number;
  readonly body: Buffer;
}

const json = (status: number, value: unknown): Reply => ({
  status,
  body: Buffer.from(JSON.stringify(value)),
});

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': reply.body.length,
  });
  res.end(reply.body);
}

/** JSON of a body; an empty body reads as `{}` (then fails on the first required field). */
function parseJson(body: Buffer, lists?: NodeNameLists): unknown {
  if (body.length === 0) return {};
  try {
    return lists ? lists.parse(body) : JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new WireError('body', (err as Error).message);
  }
}

type Verb = 'filter' | 'prioritize' | 'bind' | 'preempt';

const VERB_PATHS: ReadonlyMap<string, Verb> = new Map([
  ['/filter', 'filter'],
  ['/prioritize', 'prioritize'],
  ['/bind', 'bind'],
  ['/preempt', 'preempt'],
]);

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return query < 0 ? raw : raw.slice(0, query);
}

/** A connect-style handler: `next` (when mounted in express) gets every request that is not a verb. */
export type ExtenderHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** A names-mode filter reply up to its list of node names. */
const FILTER_REPLY_OPENING = Buffer.from('{"Nodes":null,"NodeNames":');

export function createExtenderHandler(deps: ExtenderRouteDeps): ExtenderHandler {
  const { verbs, metrics, logger } = deps;
  const filterReplies = new WeakMap<FilterOutcome, Buffer>();
  const prioritizeReplies = new WeakMap<readonly HostScore[], Buffer>();
  const priorityReplies = new PriorityReplies();
  const nameLists = new NodeNameLists();
  const bodies = new BodyReader(deps.bodyLimitBytes);
  const ahead = deps.prioritizeAhead !== false && verbs.prioritizeAhead !== undefined;

  /**
   * The reply bytes of a prioritize answer, written once per answer: the verbs hand back the same
   * object while the node list and the ledger are unchanged (NodeListMemo), and after its work ahead.
   */
  function replyOf(scores: readonly HostScore[]): Buffer {
    let reply = prioritizeReplies.get(scores);
    if (reply === undefined) prioritizeReplies.set(scores, (reply = priorityReplies.reply(scores)));
    return reply;
  }
  /** Answers computed ahead and not yet asked for (one already kept before is not counted as used). */
  const aheadAnswers = new WeakSet<readonly HostScore[]>();

  /**
   * Run on the turn after a filter reply was written (setImmediate). kube-scheduler's next request
   * for the pod is prioritize over exactly the nodes that reply named, sent only after it has decoded
   * the reply and run its own PreScore and Score plugins over those nodes (prioritizeNodes in
   * schedule_one.go): the answer and its reply bytes are computed meanwhile, and the request finds
   * them kept. Never slower for the pod: a request that arrives first waits for this same work.
   */
  function prioritizeAhead(pod: ExtenderArgs['Pod'], names: readonly string[]): void {
    const end = metrics.verbDuration.startTimer({ verb: 'prioritize-ahead' });
    try {
      const scores = verbs.prioritizeAhead?.(pod, names);
      if (scores === undefined) return;
      if (!prioritizeReplies.has(scores)) {
        replyOf(scores);
        aheadAnswers.add(scores);
      }
      end({ outcome: 'ok' });
    } catch (err) {
      end({ outcome: 'error' });
      logger.error({ err, pod: podName({ Pod: pod }) }, 'prioritize ahead failed');
    }
  }

  function filter(body: Buffer): Reply | Promise<Reply> {
    const end = metrics.verbDuration.startTimer({ verb: 'filter' });
    const args = parseExtenderArgs(parseJson(body, nameLists));
    const names = nodeNamesOf(args);
    const outcome = verbs.filter(args.Pod, names);
    // No node: kube-scheduler preempts next. If it offered nodes where victims preempted for this
    // very pod still hold GPUs in Phalanx's view, it saw them go first: wait for them rather than send
    // it to preempt elsewhere, and if they are still there, answer with an error (a retry after the
    // scheduler's backoff, no preemption) rather than park the pod on events already spent.
    const wait =
      outcome.error === undefined && outcome.feasible.length === 0
        ? verbs.awaitOwnVictims?.(args.Pod, names)
        : undefined;
    if (wait === undefined) return filterReply(args, names, outcome, end);
    const t0 = performance.now();
    return wait.then((leaving) => {
      const again = verbs.filter(args.Pod, names);
      const stillNone = again.error === undefined && again.feasible.length === 0 && leaving !== undefined;
      logger.info(
        {
          verb: 'filter',
          pod: podName(args),
          waitedMs: Math.round(performance.now() - t0),
          feasible: again.feasible.length,
          ...(stillNone ? { leaving } : {}),
        },
        "filter waited for the pod's own preemption victims to leave",
      );
      const answer = stillNone ? { ...again, error: `${leaving}; retry later` } : again;
      return filterReply(args, names, answer, end);
    });
  }

  function filterReply(
    args: ExtenderArgs,
    names: readonly string[],
    outcome: FilterOutcome,
    end: (labels: { outcome: string }) => void,
  ): Reply {
    const feasible = outcome.error ? [] : outcome.feasible;
    const failures = (): Omit<ExtenderFilterResult, 'Nodes' | 'NodeNames'> => ({
      FailedNodes: outcome.failed,
      FailedAndUnresolvableNodes: outcome.unresolvable,
      Error: outcome.error ?? '',
    });
    countRejections(outcome, metrics);
    if (logger.isLevelEnabled('debug')) {
      logger.debug(
        { verb: 'filter', pod: podName(args), nodes: names.length, feasible: outcome.feasible.length },
        'filter',
      );
    }
    // With node objects the reply echoes this request's objects: nothing to reuse.
    if (args.NodeNames === null) {
      end({ outcome: outcome.error ? 'error' : 'ok' });
      return json(200, { ...nodesReply(args, feasible), ...failures() });
    }
    let reply = filterReplies.get(outcome);
    if (reply === undefined) {
      // Written as JSON.stringify writes the whole reply, with the names' JSON encoded once: the
      // prioritize request that follows is expected to end with the same bytes.
      const namesJson = Buffer.from(JSON.stringify(feasible));
      const rest = Buffer.from(`,${JSON.stringify(failures()).slice(1)}`);
      reply = Buffer.concat([FILTER_REPLY_OPENING, namesJson, rest]);
      filterReplies.set(outcome, reply);
      if (feasible.length > 0) nameLists.expect(feasible, namesJson);
    } else if (feasible.length > 0) {
      nameLists.expect(feasible);
    }
    end({ outcome: outcome.error ? 'error' : 'ok' });
    // kube-scheduler skips prioritize when one node is left.
    if (ahead && feasible.length > 1) setImmediate(prioritizeAhead, args.Pod, feasible);
    return { status: 200, body: reply };
  }

  function prioritize(body: Buffer): Reply {
    const end = metrics.verbDuration.startTimer({ verb: 'prioritize' });
    const args = parseExtenderArgs(parseJson(body, nameLists));
    const scores = verbs.prioritize(args.Pod, nodeNamesOf(args));
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ verb: 'prioritize', pod: podName(args), nodes: scores.length }, 'prioritize');
    }
    const reply = replyOf(scores);
    if (aheadAnswers.delete(scores)) metrics.prioritizeAheadUsed.inc();
    end({ outcome: 'ok' });
    return { status: 200, body: reply };
  }

  async function bind(body: Buffer): Promise<Reply> {
    const end = metrics.verbDuration.startTimer({ verb: 'bind' });
    const args = parseBindingArgs(parseJson(body));
    const error = await verbs.bind({
      namespace: args.PodNamespace,
      name: args.PodName,
      uid: args.PodUID,
      node: args.Node,
    });
    const reply: ExtenderBindingResult = { Error: error };
    end({ outcome: error ? 'error' : 'ok' });
    return json(200, reply);
  }

  // Preempt: either request form in, always the UID form out (protocol.md §2.9). Only nodes with at
  // least one victim are returned; the others are dropped from the scheduler's candidates.
  function preempt(body: Buffer): Reply {
    const end = metrics.verbDuration.startTimer({ verb: 'preempt' });
    const args = parsePreemptionArgs(parseJson(body));
    if (verbs.preempt === undefined) {
      end({ outcome: 'error' });
      return json(501, { error: 'preempt is not served by this extender' });
    }
    const outcome = verbs.preempt(args.Pod, preemptCandidates(args));
    if (outcome.error !== undefined) {
      end({ outcome: 'error' });
      return json(503, { error: outcome.error });
    }
    const reply: ExtenderPreemptionResult = { NodeNameToMetaVictims: {} };
    for (const [node, uids] of Object.entries(outcome.victims)) {
      if (uids.length === 0) continue;
      reply.NodeNameToMetaVictims[node] = { Pods: uids.map((UID) => ({ UID })), NumPDBViolations: 0 };
    }
    logger.debug(
      {
        verb: 'preempt',
        pod: podName(args),
        nodes: Object.keys(reply.NodeNameToMetaVictims).length,
        dropped: outcome.dropped,
        remote: outcome.remote,
      },
      'preempt',
    );
    end({ outcome: 'ok' });
    return json(200, reply);
  }

  // Errors: wire errors are the caller's fault (400); anything else is ours, answered in the
  // scheduler's contract (200 + Error) so it requeues the pod instead of crashing.
  function failure(err: unknown, verb: string): Reply {
    if (err instanceof WireError) {
      metrics.malformedRequests.inc({ verb });
      return json(400, { error: err.message, field: err.field });
    }
    logger.error({ err, verb }, 'extender verb failed');
    metrics.verbDuration.observe({ verb, outcome: 'error' }, 0);
    return json(200, { Error: `phalanx internal error: ${(err as Error).message ?? String(err)}` });
  }

  function serve(verb: Verb, body: Buffer): Reply | Promise<Reply> {
    switch (verb) {
      case 'filter':
        return filter(body);
      case 'prioritize':
        return prioritize(body);
      case 'bind':
        return bind(body);
      case 'preempt':
        return preempt(body);
    }
  }

  /** Not a verb: a body that is not JSON is still a malformed request (counted as "other"). */
  function notAVerb(req: IncomingMessage, res: ServerResponse, next?: () => void): void {
    const path = pathOf(req.url);
    const notFound = (): void => {
      if (next) next();
      else send(res, json(404, { error: `no route for ${req.method ?? ''} ${path}` }));
    };
    if (!hasBody(req)) {
      notFound();
      return;
    }
    bodies
      .read(req)
      .then((body) => {
        try {
          parseJson(body.bytes);
        } finally {
          body.release();
        }
        notFound();
      })
      .catch((err: unknown) => send(res, failure(err, verbLabel(path))));
  }

  return (req, res, next) => {
    const verb = req.method === 'POST' ? VERB_PATHS.get(pathOf(req.url)) : undefined;
    if (verb === undefined) {
      notAVerb(req, res, next);
      return;
    }
    bodies
      .read(req)
      .then((body) => {
        // Every verb parses its body before its first await: the bytes are free again after this call.
        try {
          return serve(verb, body.bytes);
        } finally {
          body.release();
        }
      })
      .catch((err: unknown) => failure(err, verb))
      .then((reply) => send(res, reply))
      .catch((err: unknown) => logger.error({ err, verb }, 'extender reply failed'));
  };
}

/** The verbs as an express router, for apps that also mount other routes (tests, benchmarks). */
export function createExtenderRouter(deps: ExtenderRouteDeps): Router {
  const handler = createExtenderHandler(deps);
  const router = express.Router();
  router.use((req, res, next) => handler(req, res, () => next()));
  return router;
}
