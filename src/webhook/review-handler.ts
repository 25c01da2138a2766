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

export type ReviewOutcome = 'allowed' | 'mutated' | 'denied';

export interface HandledReview {
  readonly request: AdmissionRequest;
  readonly review: AdmissionReviewResponse;
  readonly outcome: ReviewOutcome;
  /** The service's decision; undefined for requests that are not about pods. */
  readonly decision?: AdmissionDecision;
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
