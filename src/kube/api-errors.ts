// Classifies errors thrown by @kubernetes/client-node calls (ApiException has `code`; watch errors
// carry `statusCode`; aborted or timed-out requests are DOMExceptions by name).

/** HTTP status of an API error, or undefined for transport errors. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const withCode = err as { code?: unknown; statusCode?: unknown };
  if (typeof withCode.code === 'number') return withCode.code;
  if (typeof withCode.statusCode === 'number') return withCode.statusCode;
  return undefined;
}

/** A short, credential-free description for logs and BindError messages. */
export function describeError(err: unknown): string {
  const status = httpStatusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const reason = apiStatusMessage(err);
  const text = reason ?? message;
  return status === undefined ? text : `HTTP ${status}: ${text}`;
}

/** The `message` of a Kubernetes Status body, when the error carries one. */
function apiStatusMessage(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      return typeof parsed.message === 'string' ? parsed.message : undefined;
    } catch {
      return undefined;
    }
  }
  if (typeof body === 'object' && body !== null) {
    const message = (body as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  }
  return undefined;
}

/** Error raised by `withTimeout` when the deadline passes first. */
export class RequestTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/**
 * Resolves or rejects like `promise`, or rejects with RequestTimeoutError after `ms`. The request
 * itself may still complete on the server: callers must re-read state before assuming failure.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeoutError(what, ms)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
