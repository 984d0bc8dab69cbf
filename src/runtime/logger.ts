import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths whose values never reach a log line. pino's redaction matches fixed depths, so the
 * common nestings (an object, an object inside a request/response/resource) are listed.
 */
const REDACT_PATHS: readonly string[] = [
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'data',
  '*.data',
  '*.*.data',
  'stringData',
  '*.stringData',
  '*.*.stringData',
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.*.headers.authorization',
  '*.*.headers.Authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey.privateKey',
];

export function createLogger(opts: { level?: string; destination?: DestinationStream; name?: string } = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { name: opts.name ?? 'omkeys' },
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
