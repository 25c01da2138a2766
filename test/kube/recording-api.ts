// A fake of a few API client methods for the writers' tests: every call is recorded under a short
// name with its arguments and options (so the patch content type can be read back), and a method
// given an HTTP status fails with it as the client would.
import { ApiException, type ConfigurationOptions } from '@kubernetes/client-node';

export interface RecordedCall {
  readonly op: string;
  readonly args: unknown;
  readonly options?: ConfigurationOptions | undefined;
}

export const apiFailure = (code: number) => new ApiException(code, 'failed', { message: 'failed' }, {});

/** `methods`: client method name → the op name recorded; `fails`: op name → HTTP status to fail with. */
export function recordingApi<Api>(
  methods: Readonly<Record<string, string>>,
  fails: Readonly<Record<string, number | undefined>>,
): { fake: Api; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fake: Record<string, (args: unknown, options?: ConfigurationOptions) => Promise<unknown>> = {};
  for (const [method, op] of Object.entries(methods)) {
    fake[method] = (args, options) => {
      calls.push({ op, args, options });
      const code = fails[op];
      return code === undefined ? Promise.resolve({}) : Promise.reject(apiFailure(code));
    };
  }
  return { fake: fake as Api, calls };
}
