// Liveness before the manager is up. While a new build starts after an upgrade (or the
// manager after a crash), the kubelet's liveness probe would otherwise wait for the whole
// start-up. The rule is the one the supervisor applies once it runs (the redis-server named
// by the pidfile is a live process of this data directory), read from the process table
// with no module loaded and no Redis round trip. When it does not hold, the probe is held
// like any other request: the manager may be about to start Redis. Attached mode needs a
// PING, so it has no early answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { PID_FILE_NAME, runningRedisPid } from '../domain/supervision/proc.js';
import { reply } from './reply.js';

export function earlyLiveness(
  config: Pick<Config, 'redisUrl' | 'dataDir'>,
): ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined {
  if (config.redisUrl !== undefined) return undefined;
  const pidFile = join(config.dataDir, PID_FILE_NAME);
  return (req, res) => {
    if (req.method !== 'GET' || req.url !== '/healthz') return false;
    const pid = runningRedisPid(pidFile, config.dataDir);
    if (pid === null) return false;
    reply(res, 'getHealthz', 200, { alive: true, pid });
    return true;
  };
}
