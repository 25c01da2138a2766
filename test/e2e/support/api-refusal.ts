// What the API server answered when it refused a request: status code and Status message, from a
// client-node ApiException (whose body is the Status as JSON text or as an object).
import { ApiException } from '@kubernetes/client-node';

export interface Refusal {
  readonly code: number;
  readonly message: string;
}

/** Runs `call`, expecting the API server to refuse it; returns the refusal or throws if it succeeded. */
export async function refusalOf(call: () => Promise<unknown>): Promise<Refusal> {
  try {
    await call();
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    const message = (body as { message?: unknown } | null)?.message;
    return { code: err.code, message: typeof message === 'string' ? message : String(err.body) };
  }
  throw new Error('the API server accepted a request it should have refused');
}
