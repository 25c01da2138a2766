// The root pino logger. Built once in the composition root and injected; children per component.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'phalanx' },
    // Credentials can reach log lines through errors from the API client; never print them.
    redact: {
      paths: ['*.headers.authorization', '*.token', '*.keyData', '*.certData', '*.key', 'config.users'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
