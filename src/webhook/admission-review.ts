// AdmissionReview admission.k8s.io/v1: the request fields Phalanx reads, strict parsing that names the
// bad field, and response envelopes the apiserver accepts (protocol.md §4.2: exact apiVersion/kind,
// echoed uid, base64 patch with patchType only when there is a patch).
import type { AdmissionInput, AdmissionOperation } from '../app/admission/admission-service.js';
import { AdmissionRule, type AdmissionReason } from '../core/admission/admission-rules.js';
import type { PodShape } from '../core/kube-shapes.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly operation: AdmissionOperation;
  readonly namespace?: string;
  readonly name?: string;
  readonly userInfo: { readonly username?: string; readonly groups?: readonly string[] };
  readonly object?: unknown;
  readonly oldObject?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionStatus {
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly status: 'Failure';
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: AdmissionStatus;
  readonly patch?: string;
  readonly patchType?: 'JSONPatch';
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: typeof ADMISSION_KIND;
  readonly response: AdmissionResponse;
}

/** A malformed AdmissionReview; `field` is the JSON path of the offending value (e.g. `request.uid`). */
export class ReviewError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ReviewError';
    this.field = field;
  }
}

const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function requireObject(value: unknown, field: string): Json {
  if (!isObject(value)) throw new ReviewError(field, 'must be an object');
  return value;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new ReviewError(field, 'must be a non-empty string');
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ReviewError(field, 'must be a string');
  return value;
}

/** Embedded objects are RawExtensions: absent or null when not sent. */
function optionalObject(value: unknown, field: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  return requireObject(value, field);
}

function parseKind(value: unknown): AdmissionRequest['kind'] {
  const kind = requireObject(value, 'request.kind');
  return {
    group: optionalString(kind['group'], 'request.kind.group') ?? '',
    version: requireString(kind['version'], 'request.kind.version'),
    kind: requireString(kind['kind'], 'request.kind.kind'),
  };
}

/** Parses an AdmissionReview body; throws ReviewError naming the first bad field. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  const review = requireObject(body, 'body');
  if (review['apiVersion'] !== ADMISSION_API_VERSION) {
    throw new ReviewError('apiVersion', `must be "${ADMISSION_API_VERSION}" (admissionReviewVersions: [v1])`);
  }
  if (review['kind'] !== ADMISSION_KIND) throw new ReviewError('kind', `must be "${ADMISSION_KIND}"`);
  const request = requireObject(review['request'], 'request');
  const uid = requireString(request['uid'], 'request.uid');
  const kind = parseKind(request['kind']);
  const operation = requireString(request['operation'], 'request.operation');
  if (!OPERATIONS.includes(operation)) {
    throw new ReviewError('request.operation', `must be one of ${OPERATIONS.join(', ')}`);
  }
  const userInfo = requireObject(request['userInfo'], 'request.userInfo');
  const username = optionalString(userInfo['username'], 'request.userInfo.username');
  const namespace = optionalString(request['namespace'], 'request.namespace');
  const name = optionalString(request['name'], 'request.name');
  const object = optionalObject(request['object'], 'request.object');
  const oldObject = optionalObject(request['oldObject'], 'request.oldObject');
  if ((operation === 'CREATE' || operation === 'UPDATE') && object === undefined) {
    throw new ReviewError('request.object', `must be an object on ${operation}`);
  }
  if (operation === 'UPDATE' && oldObject === undefined) {
    throw new ReviewError('request.oldObject', 'must be an object on UPDATE');
  }
  return {
    uid,
    kind,
    operation: operation as AdmissionOperation,
    userInfo: username === undefined ? {} : { username },
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(object !== undefined ? { object } : {}),
    ...(oldObject !== undefined ? { oldObject } : {}),
    ...(request['dryRun'] === true ? { dryRun: true } : {}),
  };
}

/** True when the request is about a core/v1 Pod; anything else is let through untouched. */
export function isPodRequest(request: AdmissionRequest): boolean {
  return request.kind.group === '' && request.kind.kind === 'Pod';
}

/** The service's view of a pod request. */
export function admissionInput(request: AdmissionRequest): AdmissionInput {
  const object = request.object as PodShape | undefined;
  return {
    operation: request.operation,
    namespace: request.namespace ?? object?.metadata?.namespace ?? '',
    username: request.userInfo.username ?? '',
    object,
    oldObject: request.oldObject as PodShape | undefined,
  };
}

function envelope(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}

/** Allows the request; `patch` (RFC 6902 operations) is base64-encoded and typed only when non-empty. */
export function allowedReview(
  uid: string,
  patch: readonly unknown[],
  warnings: readonly string[],
): AdmissionReviewResponse {
  return envelope({
    uid,
    allowed: true,
    ...(patch.length > 0
      ? { patchType: 'JSONPatch' as const, patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
      : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}

/**
 * Refuses the request with every reason in one message (the apiserver shows it to the user as
 * `admission webhook "…" denied the request: <message>`). Forged decision annotations are 403
 * Forbidden; everything else is a bad request, 422 Invalid.
 */
export function deniedReview(
  uid: string,
  reasons: readonly AdmissionReason[],
  warnings: readonly string[],
): AdmissionReviewResponse {
  const forbidden = reasons.some((r) => r.rule === AdmissionRule.forbidden);
  return envelope({
    uid,
    allowed: false,
    status: {
      code: forbidden ? 403 : 422,
      reason: forbidden ? 'Forbidden' : 'Invalid',
      message: `phalanx: ${reasons.map((r) => r.message).join('; ')}`,
      status: 'Failure',
    },
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}
