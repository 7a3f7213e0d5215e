// Runs redis-server and keeps it running: writes its configuration, starts it (or adopts
// the one already running in this data directory), learns of its exit within a second,
// restarts it with backoff, and shuts it down cleanly on request.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RedisUnreachableError, type RedisAdapter } from '../../redis/adapter.js';
import { messageOf } from '../../errors.js';
import { DEFAULT_BACKOFF, nextAttempt, restartDelay, type BackoffPolicy } from './backoff.js';
import { isAlive, PID_FILE_NAME, runningRedisPid } from './proc.js';
import { renderRedisConf, renderSecretsConf } from './redis-conf.js';
import { identifyServer } from './server-binary.js';
import { describeServer } from '../../redis/capabilities.js';
import type { PrimaryAddress } from '../state/state-file.js';

/** How often the process table is read: exits are noticed within this (< 1 s). */
export const WATCH_INTERVAL_MS = 200;

/** How long Redis may take to exit after the connection that sent SHUTDOWN closed. */
const SHUTDOWN_SETTLE_MS = 500;

export const REDIS_CONF_NAME = 'redis.conf';
export const SECRETS_CONF_NAME = 'redis-secrets.conf';

export interface SupervisorOptions {
  binary: string;
  port: number;
  dataDir: string;
  password: string | undefined;
  userConfig: string | undefined;
  stdio: 'inherit' | 'ignore';
  /**
   * Asked before every spawn (`start`: the manager's own start; `restart`: after redis-server
   * exited): where the node should replicate from, or null for a primary.
   */
  replicaOf: (kind: 'start' | 'restart') => Promise<PrimaryAddress | null>;
  backoff?: BackoffPolicy;
}

export interface SupervisorEvents {
  started: [pid: number, adopted: boolean];
}

export class RedisSupervisor extends EventEmitter<SupervisorEvents> {
  private currentPid: number | null = null;
  private startedAt = 0;
  private attempt = 0;
  private watchTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** A start in progress (its shell not yet reaped), so detach can wait for it. */
  private spawning: Promise<void> | null = null;
  /** How many times redis-server was restarted after it exited. */
  restarts = 0;

  constructor(
    private readonly options: SupervisorOptions,
    private readonly log: Logger,
  ) {
    super();
  }

  get pid(): number | null {
    return this.currentPid;
  }

  /**
   * Liveness without a Redis round trip: is the process we run still a live process? This is
   * the watcher's last reading (at most WATCH_INTERVAL_MS old), so a probe costs no I/O.
   */
  alive(): boolean {
    return this.currentPid !== null;
  }

  get pidFile(): string {
    return join(this.options.dataDir, PID_FILE_NAME);
  }

  /** Adopts a redis-server already running in the data directory, or starts one. */
  async start(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    const adoptable = this.runningPid();
    if (adoptable !== null) {
      this.track(adoptable, true);
    } else {
      await this.spawnRedis('start');
    }
    this.watchTimer = setInterval(() => this.watch(), WATCH_INTERVAL_MS);
    this.watchTimer.unref();
  }

  /** The PID in the pidfile, when it is a live redis-server of this data directory. */
  private runningPid(): number | null {
    return runningRedisPid(this.pidFile, this.options.dataDir);
  }

  private async writeConfig(kind: 'start' | 'restart'): Promise<{ confFile: string; server: string }> {
    const { dataDir, password } = this.options;
    // Directives differ by version; a binary too old or that cannot run stops here, named.
    const server = await identifyServer(this.options.binary);
    let secretsFile: string | null = null;
    if (password !== undefined) {
      secretsFile = join(dataDir, SECRETS_CONF_NAME);
      await writeFile(secretsFile, renderSecretsConf(password), { mode: 0o600 });
      await chmod(secretsFile, 0o600);
    }
    const confFile = join(dataDir, REDIS_CONF_NAME);
    const conf = renderRedisConf({
      server,
      port: this.options.port,
      dataDir,
      pidFile: this.pidFile,
      replicaOf: await this.options.replicaOf(kind),
      secretsFile,
      userConfig: this.options.userConfig ?? null,
    });
    await writeFile(confFile, conf, { mode: 0o600 });
    return { confFile, server: describeServer(server) };
  }

  /**
   * Starts redis-server through a shell that backgrounds it and exits, so redis-server is
   * never our child: it survives an exec of the manager unchanged, and is reaped by PID 1
   * (tini in the image) rather than left a zombie of ours. Its output goes to our stdout.
   * Under umask 077, so that every file it writes (dump.rdb, the AOF, the pidfile, its
   * temporary files) is 0600 and every directory 0700, whatever the manager's own umask.
   */
  private async spawnRedis(kind: 'start' | 'restart'): Promise<void> {
    const run = this.spawnRedisOnce(kind);
    this.spawning = run;
    try {
      await run;
    } finally {
      this.spawning = null;
    }
  }

  private async spawnRedisOnce(kind: 'start' | 'restart'): Promise<void> {
    const { confFile, server } = await this.writeConfig(kind);
    const redirect = this.options.stdio === 'inherit' ? '>&3 2>&3' : '>/dev/null 2>&1';
    const script = `umask 077; "$0" "$1" </dev/null ${redirect} 3>&- & echo $!`;
    const shell = spawn('/bin/sh', ['-c', script, this.options.binary, confFile], {
      stdio: ['ignore', 'pipe', 'inherit', this.options.stdio === 'inherit' ? 1 : 'ignore'],
      detached: true,
      cwd: this.options.dataDir,
    });
    let out = '';
    shell.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      shell.once('error', reject);
      shell.once('close', resolve);
    });
    const pid = Number(out.trim());
    if (code !== 0 || !Number.isInteger(pid) || pid <= 0) {
      throw new Error(`could not start ${this.options.binary} (shell exited ${code})`);
    }
    this.track(pid, false, server);
  }

  private track(pid: number, adopted: boolean, server?: string): void {
    this.currentPid = pid;
    this.startedAt = Date.now();
    this.log.info({ pid, adopted, server }, adopted ? 'adopted running redis-server' : 'started redis-server');
    this.emit('started', pid, adopted);
  }

  private watch(): void {
    const pid = this.currentPid;
    if (pid === null || this.stopping || isAlive(pid)) return;
    this.currentPid = null;
    const ranForMs = Date.now() - this.startedAt;
    this.attempt = nextAttempt(this.options.backoff ?? DEFAULT_BACKOFF, this.attempt, ranForMs);
    const delay = restartDelay(this.options.backoff ?? DEFAULT_BACKOFF, this.attempt);
    this.log.warn({ pid, ranForMs, restartInMs: delay }, 'redis-server exited');
    this.restartTimer = setTimeout(() => this.restart(), delay);
  }

  private restart(): void {
    if (this.stopping) return;
    this.restarts++;
    this.spawnRedis('restart').catch((err: unknown) => {
      this.log.error({ err }, 'restart of redis-server failed');
      this.restartTimer = setTimeout(
        () => this.restart(),
        restartDelay(this.options.backoff ?? DEFAULT_BACKOFF, ++this.attempt),
      );
    });
  }

  /**
   * Stops watching and shuts redis-server down: SHUTDOWN (Redis saves if persistence is
   * configured), then SIGTERM, then SIGKILL at the end of the grace period. SIGTERM comes at
   * once when SHUTDOWN was refused (an error reply) or could not be sent (no connection), so
   * that Redis has the rest of the period for its save; only a SHUTDOWN that may still be at
   * work (no answer yet, or none within the command timeout: a long save, or replicas being
   * waited for) keeps SIGTERM back until a second before the end.
   */
  async shutdown(admin: RedisAdapter, graceMs: number): Promise<'clean' | 'killed' | 'not-running'> {
    this.stopping = true;
    clearInterval(this.watchTimer);
    clearTimeout(this.restartTimer);
    // A restart in progress finishes first, so the redis-server it starts is shut down too.
    await this.spawning?.catch(() => {});
    const pid = this.currentPid;
    if (pid === null || !isAlive(pid)) return 'not-running';
    const deadline = Date.now() + graceMs;
    let undelivered: { at: number; reason: string } | undefined;
    // SHUTDOWN closes the connection instead of answering when it succeeds, and Redis exits
    // right after: a connection error is a failure only if Redis is still there a moment later.
    admin.command('SHUTDOWN').catch((err: unknown) => {
      if (err instanceof RedisUnreachableError && err.reason === 'timeout') return;
      undelivered = { at: Date.now(), reason: messageOf(err) };
    });
    const gaveUp = () => undelivered !== undefined && Date.now() - undelivered.at >= SHUTDOWN_SETTLE_MS;
    if (await waitForExit(pid, Math.max(0, deadline - Date.now() - 1000), gaveUp)) return 'clean';
    if (undelivered) {
      this.log.warn({ pid, reason: undelivered.reason }, 'redis-server did not take SHUTDOWN; sending SIGTERM');
    } else {
      this.log.warn({ pid }, 'redis-server did not shut down in time; sending SIGTERM');
    }
    // On SIGTERM Redis still shuts down properly (saving, when persistence is configured).
    signal(pid, 'SIGTERM');
    if (await waitForExit(pid, Math.max(0, deadline - Date.now()))) return 'clean';
    this.log.error({ pid }, 'redis-server still running at the end of the grace period; sending SIGKILL');
    signal(pid, 'SIGKILL');
    await waitForExit(pid, 2000);
    return 'killed';
  }

  /**
   * Stops watching without touching redis-server (tests, and the exec of an upgrade). A
   * start in progress is waited for, so its shell is reaped before an exec (a child that
   * exits after the exec would stay a zombie: the new image does not know it).
   */
  async detach(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchTimer);
    clearTimeout(this.restartTimer);
    await this.spawning?.catch(() => {});
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Whether the process exits within timeoutMs; false as soon as `giveUp` says so. */
export async function waitForExit(pid: number, timeoutMs: number, giveUp = () => false): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline || giveUp()) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
