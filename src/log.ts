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

/**
 * Standard output, written synchronously: one write(2) per line, as Node itself writes to a
 * pipe on Linux. pino's default (asynchronous) sends each line through libuv's thread pool
 * and back, which was 30-40% of a probe's CPU when probes come one at a time, as the kubelet
 * and Prometheus send them (bench/README.md), and which loses the lines still in flight when
 * the process is killed.
 */
function standardOutput(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

export function createLogger(level: LogLevel, destination: pino.DestinationStream = standardOutput()): Logger {
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
