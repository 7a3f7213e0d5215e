// The one place that talks to Redis. Every call is bounded by a timeout so that a hung
// (SIGSTOPped, BUSY) Redis turns into a quick, truthful error instead of a hanging request.
import { Redis, type RedisOptions } from 'ioredis';
import { UnavailableError, messageOf } from '../errors.js';

export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: boolean;
}

/** Redis answered with an error reply (LOADING, BUSY, MASTERDOWN, NOAUTH, …). */
export class RedisReplyError extends Error {
  override name = 'RedisReplyError';
  /** The first word of the reply, e.g. "LOADING". */
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.code = message.split(' ', 1)[0] ?? '';
  }
}

/** Redis did not answer: refused, reset, or no reply within the timeout. */
export class RedisUnreachableError extends UnavailableError {
  constructor(
    detail: string,
    readonly reason: 'timeout' | 'connection',
  ) {
    super(detail);
  }
}

export function endpointFromUrl(url: string, password: string | undefined): RedisEndpoint {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password,
    tls: u.protocol === 'rediss:',
  };
}

/**
 * What `INFO` is asked for: one section, `default` (server, clients, memory, persistence,
 * stats, replication, cpu, keyspace…) or `all`. Multi-section `INFO a b c` exists only from
 * Redis 7.0 (older servers answer "ERR syntax error"), and `INFO everything` is empty on 5.0;
 * what each form costs Redis is in bench/info-cost.ts.
 */
export type InfoSection =
  | 'default'
  | 'all'
  | 'server'
  | 'clients'
  | 'memory'
  | 'persistence'
  | 'stats'
  | 'replication'
  | 'cpu'
  | 'commandstats'
  | 'errorstats'
  | 'latencystats'
  | 'keyspace';

/**
 * What every connection of ours to a Redis has, whoever opens it (this adapter, or a one-off
 * look at another server): the endpoint and its credentials, our name, nothing a version
 * lacks, and every step bounded by `timeoutMs`.
 */
export function connectionOptions(endpoint: RedisEndpoint, timeoutMs: number, connectionName: string): RedisOptions {
  return {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.username,
    password: endpoint.password,
    tls: endpoint.tls ? {} : undefined,
    connectionName,
    // CLIENT SETINFO is Redis 7.2+: older servers would count two errors per connection.
    // The connection name already says who we are.
    disableClientInfo: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  };
}

/** Between attempts to reconnect to Redis. */
const RECONNECT_DELAY_MS = 50;
/** How long a command waits for a connection attempt under way or due (see reconnected()). */
const RECONNECT_WAIT_MS = 2 * RECONNECT_DELAY_MS;

export class RedisAdapter {
  private readonly client: Redis;

  constructor(
    endpoint: RedisEndpoint,
    readonly timeoutMs: number,
    connectionName = 'instance-manager',
  ) {
    const options: RedisOptions = {
      ...connectionOptions(endpoint, timeoutMs, connectionName),
      // Fail fast while disconnected instead of queueing: probes must answer now.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // The ready check waits for LOADING to finish; we want to see LOADING.
      enableReadyCheck: false,
      lazyConnect: true,
      // Reconnect soon after Redis is back: one connection attempt every 50 ms costs nothing
      // (usually loopback; a refused attempt is one round trip). A growing backoff left
      // commands failing with "not connected" for up to its last delay (500 ms) after
      // redis-server had started: the operator's first promote after a start, say.
      retryStrategy: () => RECONNECT_DELAY_MS,
    };
    this.client = new Redis(options);
    // Connection errors surface through the commands; do not crash on the emitter.
    this.client.on('error', () => {});
    this.client.connect().catch(() => {});
  }

  /**
   * Runs one command; rejects with RedisReplyError or RedisUnreachableError, within timeoutMs.
   * The bound is ioredis's own commandTimeout (connectionOptions): one timer per command.
   */
  async command(name: string, ...args: (string | number)[]): Promise<unknown> {
    try {
      // Connected (every probe and scrape, nearly always): no extra turn of the event loop.
      if (this.reconnecting()) await this.reconnected();
      return await this.client.call(name, ...args);
    } catch (err) {
      throw classify(err, name, this.timeoutMs);
    }
  }

  /** One INFO call in a form every supported Redis accepts (see InfoSection). */
  async info(section: InfoSection = 'default'): Promise<string> {
    const reply = await this.command('INFO', section);
    return String(reply);
  }

  async ping(): Promise<void> {
    await this.command('PING');
  }

  /**
   * While a connection attempt is under way or due (at most RECONNECT_DELAY_MS away), waits
   * for its outcome, briefly: a command sent just after Redis came up would otherwise fail
   * with "not connected" although Redis answers (a scrape or promote right after a start).
   * When Redis is down the attempt fails at once and so does the command, as before.
   */
  private reconnecting(): boolean {
    const status = this.client.status;
    return status === 'connecting' || status === 'reconnecting';
  }

  private async reconnected(): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        this.client.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, RECONNECT_WAIT_MS);
      this.client.once('ready', done);
      this.client.once('close', done);
    });
  }

  async close(): Promise<void> {
    this.client.disconnect(false);
  }
}

function classify(err: unknown, command: string, timeoutMs: number): Error {
  if (err instanceof RedisUnreachableError) return err;
  const message = messageOf(err);
  if (err instanceof Error && err.name === 'ReplyError') return new RedisReplyError(message);
  if (/timed? ?out/i.test(message)) {
    return new RedisUnreachableError(`${command} did not answer within ${timeoutMs} ms`, 'timeout');
  }
  return new RedisUnreachableError(
    `${command} failed: Redis is not reachable (${connectionReason(message)})`,
    'connection',
  );
}

/** A short, secret-free reason for a connection failure. */
function connectionReason(message: string): string {
  if (/ECONNREFUSED/.test(message)) return 'connection refused';
  if (/ECONNRESET|EPIPE/.test(message)) return 'connection reset';
  if (/writeable|closed|Connection is closed/i.test(message)) return 'not connected';
  return 'connection error';
}
