// POST /mutate-pods: the mutating admission webhook over the admission service. Routed on the path
// only, so the apiserver's `?timeout=10s` query is ignored. A malformed AdmissionReview gets HTTP 400
// naming the field (the apiserver then applies the webhook's failurePolicy); a decision is always 200.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { AdmissionService } from '../app/admission/admission-service.js';
import type { AdmissionMetrics } from '../metrics/admission-metrics.js';
import { ReviewError, type AdmissionRequest } from './admission-review.js';
import { handleAdmissionReview } from './review-handler.js';

export const MUTATE_PODS_PATH = '/mutate-pods';

/** etcd caps objects near 1.5 MiB and a review carries object and oldObject. */
export const WEBHOOK_BODY_LIMIT_BYTES = 3 * 1024 * 1024;

export interface WebhookRouteDeps {
  readonly service: Pick<AdmissionService, 'review'>;
  readonly metrics: AdmissionMetrics;
  readonly logger: Logger;
  readonly bodyLimitBytes?: number;
}

function podName(request: AdmissionRequest): string {
  const meta = (request.object as { metadata?: { name?: string; generateName?: string } } | undefined)
    ?.metadata;
  return `${request.namespace ?? ''}/${request.name ?? meta?.name ?? `${meta?.generateName ?? ''}*`}`;
}

export function createWebhookRouter(deps: WebhookRouteDeps): Router {
  const { service, metrics, logger } = deps;
  const limit = deps.bodyLimitBytes ?? WEBHOOK_BODY_LIMIT_BYTES;
  const router = express.Router();
  router.use(express.json({ limit, type: () => true }));

  router.post(MUTATE_PODS_PATH, async (req: Request, res: Response) => {
    const started = process.hrtime.bigint();
    const { request, review, outcome, decision } = await handleAdmissionReview(req.body, service);
    res.json(review);
    const operation = request.operation;
    metrics.duration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
    const reasons = decision?.allowed === false ? decision.reasons : [];
    metrics.admissions.inc({ operation, outcome, reason: reasons[0]?.rule ?? 'none' });
    for (const r of reasons) metrics.denialReasons.inc({ reason: r.rule });
    if (reasons.length > 0) {
      logger.info(
        { pod: podName(request), operation, reasons: reasons.map((r) => r.message) },
        'pod refused',
      );
    } else if (outcome === 'mutated') {
      logger.debug(
        { pod: podName(request), gang: decision?.allowed ? decision.gang : undefined },
        'pod mutated',
      );
    }
  });

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (err instanceof ReviewError) {
      metrics.admissions.inc({ operation: 'unknown', outcome: 'malformed', reason: 'none' });
      res.status(400).json({ error: err.message, field: err.field });
      return;
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      metrics.admissions.inc({ operation: 'unknown', outcome: 'malformed', reason: 'none' });
      const tooLarge = (err as { type?: string }).type === 'entity.too.large';
      res.status(tooLarge ? 413 : 400).json({
        error: tooLarge ? `body: request body exceeds ${limit} bytes` : `body: ${(err as Error).message}`,
        field: 'body',
      });
      return;
    }
    logger.error({ err, path: req.path }, 'admission review failed');
    metrics.admissions.inc({ operation: 'unknown', outcome: 'error', reason: 'none' });
    res
      .status(500)
      .json({ error: `phalanx internal error: ${err instanceof Error ? err.message : String(err)}` });
  });
  return router;
}
