// A KubeLogger that records every line, so tests can assert that failures are logged loudly.
import type { KubeLogger } from '../../src/kube/kube-logger.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

export function recordingLogger(
  lines: LogLine[] = [],
  bindings: Record<string, unknown> = {},
): KubeLogger & {
  lines: LogLine[];
} {
  const at =
    (level: LogLine['level']) =>
    (a: object | string, b?: string): void => {
      if (typeof a === 'string') lines.push({ level, msg: a, fields: { ...bindings } });
      else lines.push({ level, msg: b ?? '', fields: { ...bindings, ...(a as Record<string, unknown>) } });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}
