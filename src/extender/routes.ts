// POST /filter, /prioritize, /bind, /preempt: kube-scheduler extender verbs over the scheduling use cases.
// Malformed bodies get 400 naming the field; internal errors get 200 with Error set, which is the
// scheduler's contract for "this pod failed, requeue it" (protocol.md §2.7).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { NodeShape } from '../core/kube-shapes.js';
import { REJECT_CAUSES } from '../app/placement/placement.js';
import type { FilterOutcome, HostScore, SchedulingVerbs } from '../app/verbs.js';
import type { ExtenderMetrics } from '../metrics/registry.js';
import { parseBindingArgs, parseExtenderArgs, parsePreemptionArgs, WireError } from './parse-args.js';
import type {
  ExtenderArgs,
  ExtenderBindingResult,
  ExtenderFilterResult,
  ExtenderPreemptionArgs,
  ExtenderPreemptionResult,
  HostPriority,
} from './wire.js';

export interface ExtenderRouteDeps {
  readonly verbs: SchedulingVerbs;
  readonly metrics: ExtenderMetrics;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
}

function nodeNamesOf(args: ExtenderArgs): readonly string[] {
  if (args.NodeNames !== null) return args.NodeNames;
  return (args.Nodes?.items ?? []).map((n: NodeShape) => n.metadata?.name ?? '');
}

function podName(args: Pick<ExtenderArgs, 'Pod'>): string {
  return `${args.Pod.metadata?.namespace ?? ''}/${args.Pod.metadata?.name ?? ''}`;
}

function filterReply(
  args: ExtenderArgs,
  feasible: string[],
): Pick<ExtenderFilterResult, 'Nodes' | 'NodeNames'> {
  if (args.NodeNames !== null) return { Nodes: null, NodeNames: feasible };
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

/**
 * JSON without express's ETag: res.json hashes every body (SHA-1 over ~100 KB replies at 5000
 * nodes) for a conditional GET that kube-scheduler never makes.
 */
function sendJson(res: Response, body: unknown): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * Replies serialized once per verb result. The verbs hand back the same result object while the node
 * list and the ledger are unchanged (NodeListMemo), so at 5000 nodes the ~60 KB filter reply and the
 * prioritize reply are encoded once, not on every pod; a Buffer also skips the socket's UTF-8 pass.
 */
function cachedReply<K extends object>(cache: WeakMap<K, Buffer>, key: K, build: () => unknown): Buffer {
  let body = cache.get(key);
  if (body === undefined) cache.set(key, (body = Buffer.from(JSON.stringify(build()))));
  return body;
}

function sendBody(res: Response, body: Buffer): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(body);
}

export function createExtenderRouter(deps: ExtenderRouteDeps): Router {
  const { verbs, metrics, logger } = deps;
  const router = express.Router();
  router.use(express.json({ limit: deps.bodyLimitBytes, type: () => true }));
  const filterReplies = new WeakMap<FilterOutcome, Buffer>();
  const prioritizeReplies = new WeakMap<readonly HostScore[], Buffer>();

  router.post('/filter', (req: Request, res: Response) => {
    const end = metrics.verbDuration.startTimer({ verb: 'filter' });
    const args = parseExtenderArgs(req.body);
    const names = nodeNamesOf(args);
    const outcome = verbs.filter(args.Pod, names);
    const reply = (): ExtenderFilterResult => ({
      ...filterReply(args, outcome.error ? [] : outcome.feasible),
      FailedNodes: outcome.failed,
      FailedAndUnresolvableNodes: outcome.unresolvable,
      Error: outcome.error ?? '',
    });
    countRejections(outcome, metrics);
    logger.debug(
      { verb: 'filter', pod: podName(args), nodes: names.length, feasible: outcome.feasible.length },
      'filter',
    );
    // With node objects the reply echoes this request's objects: nothing to reuse.
    if (args.NodeNames === null) sendJson(res, reply());
    else sendBody(res, cachedReply(filterReplies, outcome, reply));
    end({ outcome: outcome.error ? 'error' : 'ok' });
  });

  router.post('/prioritize', (req: Request, res: Response) => {
    const end = metrics.verbDuration.startTimer({ verb: 'prioritize' });
    const args = parseExtenderArgs(req.body);
    const scores = verbs.prioritize(args.Pod, nodeNamesOf(args));
    logger.debug({ verb: 'prioritize', pod: podName(args), nodes: scores.length }, 'prioritize');
    sendBody(
      res,
      cachedReply(prioritizeReplies, scores, () => {
        // A host missing from the reply gets 0 from the extender (prioritizeNodes adds only listed
        // hosts), so zero scores are left out: a smaller reply for us to write and the scheduler to read.
        const reply: HostPriority[] = [];
        for (const s of scores) if (s.score !== 0) reply.push({ Host: s.host, Score: s.score });
        return reply;
      }),
    );
    end({ outcome: 'ok' });
  });

  router.post('/bind', async (req: Request, res: Response) => {
    const end = metrics.verbDuration.startTimer({ verb: 'bind' });
    const args = parseBindingArgs(req.body);
    const error = await verbs.bind({
      namespace: args.PodNamespace,
      name: args.PodName,
      uid: args.PodUID,
      node: args.Node,
    });
    const reply: ExtenderBindingResult = { Error: error };
    res.json(reply);
    end({ outcome: error ? 'error' : 'ok' });
  });

  // Preempt: either request form in, always the UID form out (protocol.md §2.9). Only nodes with at
  // least one victim are returned; the others are dropped from the scheduler's candidates.
  router.post('/preempt', (req: Request, res: Response) => {
    const end = metrics.verbDuration.startTimer({ verb: 'preempt' });
    const args = parsePreemptionArgs(req.body);
    if (verbs.preempt === undefined) {
      res.status(501).json({ error: 'preempt is not served by this extender' });
      end({ outcome: 'error' });
      return;
    }
    const outcome = verbs.preempt(args.Pod, preemptCandidates(args));
    if (outcome.error !== undefined) {
      res.status(503).json({ error: outcome.error });
      end({ outcome: 'error' });
      return;
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
    res.json(reply);
    end({ outcome: 'ok' });
  });

  // Errors: wire errors and body-parser failures are the caller's fault (400); anything else is ours,
  // answered in the scheduler's contract (200 + Error) so it requeues the pod instead of crashing.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const verb = verbLabel(req.path);
    const status = (err as { status?: number; type?: string }).status;
    if (err instanceof WireError) {
      metrics.malformedRequests.inc({ verb });
      res.status(400).json({ error: err.message, field: err.field });
      return;
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      metrics.malformedRequests.inc({ verb });
      const type = (err as { type?: string }).type;
      const message =
        type === 'entity.too.large'
          ? `body: request body exceeds ${deps.bodyLimitBytes} bytes`
          : `body: ${(err as Error).message}`;
      res.status(400).json({ error: message, field: 'body' });
      return;
    }
    logger.error({ err, verb }, 'extender verb failed');
    metrics.verbDuration.observe({ verb, outcome: 'error' }, 0);
    res.status(200).json({ Error: `phalanx internal error: ${(err as Error).message ?? String(err)}` });
  });
  return router;
}
