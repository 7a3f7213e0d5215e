// Structured JSON logs (pino). Anything that could carry a secret is redacted by path, so a
// careless `log.info({ req })` cannot leak the operator token or a Redis password.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config/config.js';

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  'password',
  '*.password',
  '*.token',
  'config.redisUrl',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: 'instance-manager' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
