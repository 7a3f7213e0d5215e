// The instance this manager runs: the one object handlers talk to. It wires configuration,
// the Redis adapter, supervision and the state file together; the rules themselves live in
// the domain modules it calls.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Status } from '../contract.js';
import { UnavailableError } from '../errors.js';
import { endpointFromUrl, RedisAdapter, type RedisEndpoint } from '../redis/adapter.js';
import { TokenStore } from '../auth/token.js';
import { Metrics } from './metrics/metrics.js';
import { identifyManager, type ManagerIdentity } from './manager-identity.js';
import { backupFamilies } from './backup/backup-stats.js';
import { Backups } from './backup/backups.js';
import { attachedLiveness, ownedLiveness, type Liveness } from './probes/liveness.js';
import { checkReadiness, type Readiness } from './probes/readiness.js';
import { replicaOfAtSpawn } from './replication/boot-role.js';
import { Replication } from './replication/replication.js';
import { StateStore } from './state/state-file.js';
import { readStatus } from './status/status.js';
import { RedisSupervisor } from './supervision/supervisor.js';
import { OperationGuard } from './operation-guard.js';
import { Updater } from './upgrade/updater.js';

export class Instance {
  /** True from SIGTERM on: writes are refused while Redis shuts down. */
  shuttingDown = false;
  private updaterInstance: Updater | undefined;

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly identity: ManagerIdentity,
    readonly redis: RedisAdapter,
    readonly supervisor: RedisSupervisor | null,
    readonly tokens: TokenStore,
    readonly state: StateStore,
    /** Updates, backups and replication changes that must not overlap (409). */
    readonly operations: OperationGuard,
    /** BGSAVE/AOF backups, their upload, progress and figures (src/domain/backup). */
    readonly backups: Backups,
    /** /metrics: its own kept-open Redis connection, apart from the probes'. */
    readonly metrics: Metrics,
    /** Promote, demote, fence: one change at a time, fenced by epoch (src/domain/replication). */
    readonly replication: Replication,
  ) {}

  /** Reads the state file, then adopts or starts redis-server (unless attached). */
  static async open(config: Config, log: Logger): Promise<Instance> {
    // Hashing the bundle (a few MiB) overlaps with starting or adopting redis-server.
    const identifying = identifyManager();
    identifying.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    const password = config.redisPasswordFile === undefined ? undefined : await readSecret(config.redisPasswordFile);
    const state = await StateStore.open(config.dataDir, config.initialRole);
    const endpoint: RedisEndpoint =
      config.redisUrl !== undefined
        ? endpointFromUrl(config.redisUrl, password)
        : { host: '127.0.0.1', port: config.redisPort, password };
    const redis = new RedisAdapter(endpoint, config.probeTimeoutMs);
    let supervisor: RedisSupervisor | null = null;
    if (config.redisUrl === undefined) {
      supervisor = new RedisSupervisor(
        {
          binary: config.redisServerBinary,
          port: config.redisPort,
          dataDir: config.dataDir,
          password,
          userConfig: config.redisConfig,
          stdio: config.redisStdio,
          replicaOf: replicaOfAtSpawn(state),
        },
        log.child({ module: 'supervisor' }),
      );
      await supervisor.start();
    }
    const identity = await identifying;
    const operations = new OperationGuard();
    const backups = new Backups({
      redis,
      dataDir: config.dataDir,
      s3: config.s3,
      managerVersion: identity.version,
      log: log.child({ module: 'backup' }),
      operations,
    });
    const metrics = Metrics.connect(
      endpoint,
      config.probeTimeoutMs,
      () => supervisor?.restarts ?? 0,
      () => backupFamilies(backups.stats),
      config.metricsCompat,
    );
    const tokens = new TokenStore(config.tokenFile);
    const replication = new Replication({
      redis,
      state,
      log: log.child({ module: 'replication' }),
      redisPort: endpoint.port,
      operations,
    });
    if (supervisor) {
      // Redis (re)started from the state file; bring it fully in line (resume a held primary).
      supervisor.on('started', () => void replication.reconcileSoon());
      // One attempt now (bounded by the Redis timeout), then retries in the background: a
      // Redis still loading a large dataset must not keep the probes waiting.
      await replication.reconcileSoon();
    }
    const instance = new Instance(
      config,
      log,
      identity,
      redis,
      supervisor,
      tokens,
      state,
      operations,
      backups,
      metrics,
      replication,
    );
    const { role, primary, epoch } = state.current;
    log.info(
      { mode: instance.mode, role, primary, epoch, session: instance.identity.sessionId },
      'instance manager ready',
    );
    return instance;
  }

  /** PUT /v1/update: install a new bundle and exec it, Redis untouched. */
  get updater(): Updater {
    return (this.updaterInstance ??= new Updater(this));
  }

  get mode(): 'owned' | 'attached' {
    return this.supervisor ? 'owned' : 'attached';
  }

  async liveness(): Promise<Liveness> {
    return this.supervisor ? ownedLiveness(this.supervisor) : attachedLiveness(this.redis);
  }

  async readiness(): Promise<Readiness> {
    if (this.shuttingDown) return { ready: false, reasons: ['shutting-down: the manager received SIGTERM'] };
    return checkReadiness(this.redis, this.state.current.role, this.config.maxLagSeconds);
  }

  async status(): Promise<Status> {
    const status = await readStatus(this.redis, () => ({
      manager: {
        version: this.identity.version,
        executableHash: this.identity.executableHash,
        sessionId: this.identity.sessionId,
        upgrading: this.updater.upgrading,
        mode: this.mode,
      },
      restarts: this.supervisor?.restarts ?? 0,
      desiredRole: this.state.current.role,
      epoch: this.state.current.epoch,
      lastRoleChangeAt: this.state.current.roleChangedAt,
      isFenced: (runId) => this.replication.isFenced(runId),
      now: new Date(),
    }));
    return { ...status, lastBackup: this.backups.last() };
  }

  /** Guards a write: refused once shutdown has begun. */
  assertAcceptingWrites(): void {
    if (this.shuttingDown) throw new UnavailableError('the manager is shutting down and takes no writes');
  }

  /** SIGTERM: stop taking writes, SHUTDOWN Redis within the grace period. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    // One deadline for everything: the pod's grace period must cover Redis's SHUTDOWN save.
    const deadline = Date.now() + this.config.shutdownGraceMs;
    this.replication.stop();
    await this.backups.stop(Math.min(5000, this.config.shutdownGraceMs / 5));
    if (this.supervisor) {
      // A primary stopped cleanly while empty may come back empty without being held
      // read-only (see Replication.reconcile): a restarted single node stays usable.
      const emptyPrimary = await this.replication.isEmptyPrimary();
      const ending = await this.supervisor.shutdown(this.redis, Math.max(1000, deadline - Date.now()));
      if (emptyPrimary === true && ending === 'clean') await this.state.update({ emptyAtCleanShutdown: true });
    }
    await this.redis.close();
    await this.metrics.close();
  }

  /** Leaves Redis running and lets go of it (tests; the exec of an upgrade). */
  async detach(): Promise<void> {
    this.replication.stop();
    await this.supervisor?.detach();
    await this.redis.close();
    await this.metrics.close();
  }
}

async function readSecret(file: string): Promise<string> {
  const value = (await readFile(file, 'utf8')).trim();
  if (value === '') throw new Error('--redis-password-file is empty');
  return value;
}
