// Liveness: is redis-server alive? A pod loading a large dataset is alive (killing it
// restarts the load from scratch), so this never asks for PONG. An owned process is read
// from the process table; an attached Redis counts as alive when it answers at all.
import { messageOf } from '../../errors.js';
import { RedisReplyError, type RedisAdapter } from '../../redis/adapter.js';
import type { RedisSupervisor } from '../supervision/supervisor.js';

export interface Liveness {
  alive: boolean;
  pid: number | null;
  reason?: string;
}

export function ownedLiveness(supervisor: RedisSupervisor): Liveness {
  const pid = supervisor.pid;
  if (supervisor.alive()) return { alive: true, pid };
  return { alive: false, pid: null, reason: 'redis-server is not running' };
}

export async function attachedLiveness(redis: RedisAdapter): Promise<Liveness> {
  try {
    await redis.ping();
    return { alive: true, pid: null };
  } catch (err) {
    // LOADING, BUSY and friends are answers: the server is there.
    if (err instanceof RedisReplyError) return { alive: true, pid: null };
    return { alive: false, pid: null, reason: messageOf(err) };
  }
}
