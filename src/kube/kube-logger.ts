// The logging surface src/kube needs. A pino Logger satisfies it; tests pass a recording fake.

export interface KubeLogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface KubeLogger {
  debug: KubeLogFn;
  info: KubeLogFn;
  warn: KubeLogFn;
  error: KubeLogFn;
  child(bindings: Record<string, unknown>): KubeLogger;
}
