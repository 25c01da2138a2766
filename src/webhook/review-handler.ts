// One AdmissionReview in, one AdmissionReview out: parse, decide, patch, wrap. Transport-free, so the
// router stays thin and tests drive recorded reviews straight through.
import type { AdmissionDecision, AdmissionService } from '../app/admission/admission-service.js';
import {
  admissionInput,
  allowedReview,
  deniedReview,
  isPodRequest,
  parseAdmissionReview,
  type AdmissionRequest,
  type AdmissionReviewResponse,
} from './admission-review.js';
import { buildPatch } from './json-patch.js';
import { podShapeIssue } from '../app/scheduling/pod-shape.js';
import { AdmissionRule, type AdmissionReason } from '../core/admission/admission-rules.js';

export type ReviewOutcome = 'allowed' | 'mutated' | 'denied';

export interface HandledReview {
  readonly request: AdmissionRequest;
  readonly review: AdmissionReviewResponse;
  readonly outcome: ReviewOutcome;
  /** The service's decision; undefined for requests that are not about pods. */
  readonly decision?: AdmissionDecision;
}

/**
 * The first field of the pod (or, on UPDATE, of the old pod) whose JSON type is not what Phalanx
 * reads, as a denial reason naming its path relative to the pod (`spec.containers: must be an
 * array`). Only CREATE and UPDATE read the objects.
 */
function malformedPod(request: AdmissionRequest): AdmissionReason | undefined {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return undefined;
  const objects: [unknown, string][] = [[request.object, '']];
  if (request.operation === 'UPDATE') objects.push([request.oldObject, 'oldObject.']);
  for (const [object, prefix] of objects) {
    const issue = podShapeIssue(object);
    if (issue === undefined) continue;
    const field = `${prefix}${issue.path}`;
    return { field, rule: AdmissionRule.malformed, message: `${field}: ${issue.message}` };
  }
  return undefined;
}

/** Throws ReviewError (naming the field) when the body is not a valid AdmissionReview. */
export async function handleAdmissionReview(
  body: unknown,
  service: Pick<AdmissionService, 'review'>,
): Promise<HandledReview> {
  const request = parseAdmissionReview(body);
  if (!isPodRequest(request)) {
    return { request, review: allowedReview(request.uid, [], []), outcome: 'allowed' };
  }
  const malformed = malformedPod(request);
  if (malformed !== undefined) {
    const decision: AdmissionDecision = { allowed: false, reasons: [malformed], warnings: [] };
    return { request, decision, review: deniedReview(request.uid, [malformed], []), outcome: 'denied' };
  }
  const decision = await service.review(admissionInput(request));
  if (!decision.allowed) {
    return {
      request,
      decision,
      review: deniedReview(request.uid, decision.reasons, decision.warnings),
      outcome: 'denied',
    };
  }
  const patch = decision.pod === undefined ? [] : buildPatch(request.object, decision.pod);
  return {
    request,
    decision,
    review: allowedReview(request.uid, patch, decision.warnings),
    outcome: patch.length > 0 ? 'mutated' : 'allowed',
  };
}
