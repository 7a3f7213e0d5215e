// The instance this manager runs: the one object handlers talk to. It wires configuration,
// the Redis adapter, supervision and the state file together; the rules themselves live in
// the domain modules it calls.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Schemas, Status } from '../contract.js';
import { UnavailableError } from '../errors.js';
import { endpointFromUrl, RedisAdapter, type RedisEndpoint } from '../redis/adapter.js';
import { readServer, requireFeature, type Feature } from '../redis/capabilities.js';
import { TokenStore } from '../auth/token.js';
import { tokenFamilies } from '../auth/token-metrics.js';
import { Metrics } from './metrics/metrics.js';
import type { Family } from './metrics/exposition.js';
import { identifyManager, type ManagerIdentity } from './manager-identity.js';
import { Backups } from './backup/backups.js';
import { attachedLiveness, ownedLiveness, type Liveness } from './probes/liveness.js';
import { checkReadiness, type Readiness } from './probes/readiness.js';
import { spawnTopology } from './replication/boot-role.js';
import { roleFamilies } from './replication/role-metrics.js';
import { recordStart, execMarker } from './replication/start.js';
import { Replication } from './replication/replication.js';
import { SelfCheck } from './replication/self-check.js';
import { prepareDataDir } from './state/data-dir.js';
import { StateStore } from './state/state-file.js';
import { readStatus } from './status/status.js';
import { RedisSupervisor } from './supervision/supervisor.js';
import { OperationGuard } from './operation-guard.js';
import { Upgrader } from './upgrade/upgrader.js';

/** How the API is served, as status and metrics report it (src/http/tls.ts when HTTPS). */
export interface ServingReport {
  status(): Schemas['ManagerTls'];
  families(): Family[];
}

const PLAIN_HTTP: Schemas['ManagerTls'] = {
  enabled: false,
  clientCertificates: false,
  certificate: null,
  reloadError: null,
};

export class Instance {
  /** True from SIGTERM on: writes are refused while Redis shuts down. */
  shuttingDown = false;
  private upgraderInstance: Upgrader | undefined;

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
    private readonly serving: ServingReport | undefined,
  ) {}

  /**
   * Reads the state file, then adopts or starts redis-server (unless attached). `serving`
   * reports the HTTPS certificate (absent for plain HTTP).
   */
  static async open(config: Config, log: Logger, serving?: ServingReport): Promise<Instance> {
    // First: a token file that can never work stops the manager before it touches anything.
    const tokens = TokenStore.open(config.tokenFile, log.child({ module: 'auth' }));
    // Hashing the bundle (a few MiB) overlaps with starting or adopting redis-server.
    const identifying = identifyManager();
    identifying.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    const password = config.redisPasswordFile === undefined ? undefined : await readSecret(config.redisPasswordFile);
    await prepareDataDir(config.dataDir, log);
    const state = await StateStore.open(config.dataDir, config.initialRole);
    const start = await recordStart(state, {
      onPrimaryRestart: config.onPrimaryRestart,
      leaseSeconds: config.primaryLeaseSeconds,
    });
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
          replicaOf: spawnTopology(state, config.onPrimaryRestart),
        },
        log.child({ module: 'supervisor' }),
      );
      await supervisor.start();
    }
    const identity = await identifying;
    const operations = new OperationGuard();
    const backups = await Backups.open({
      redis,
      dataDir: config.dataDir,
      s3: config.s3,
      managerVersion: identity.version,
      log: log.child({ module: 'backup' }),
      operations,
      retention: config.backupRetention,
    });
    const replication = new Replication({
      redis,
      state,
      log: log.child({ module: 'replication' }),
      selfCheck: new SelfCheck({
        ownPort: endpoint.port,
        redis,
        credentials: endpoint,
        timeoutMs: config.probeTimeoutMs,
        log: log.child({ module: 'replication' }),
      }),
      operations,
      leaseSeconds: config.primaryLeaseSeconds,
    });
    const metrics = Metrics.connect(
      endpoint,
      config.probeTimeoutMs,
      () => supervisor?.restarts ?? 0,
      () => [
        ...roleFamilies(state.current, replication.reconciler.driftCorrections),
        ...backups.families(),
        ...tokenFamilies(tokens),
        ...(serving?.families() ?? []),
      ],
      config.metricsCompat,
    );
    // Redis (re)started from the state file: bring it in line (a held primary stays held).
    supervisor?.on('started', () => replication.redisStarted());
    // Keeps Redis in the role of the state file (only where the manager owns redis-server:
    // an attached Redis is someone else's) and watches the primary lease.
    await replication.start({ reconcile: supervisor !== null });
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
      serving,
    );
    const { role, primary, epoch, held } = state.current;
    log.info(
      {
        mode: instance.mode,
        start,
        role,
        primary,
        epoch,
        held: held?.reason ?? null,
        session: instance.identity.sessionId,
      },
      'instance manager ready',
    );
    return instance;
  }

  /** PUT /v1/update: install a new bundle and exec it, Redis untouched. */
  get upgrader(): Upgrader {
    return (this.upgraderInstance ??= new Upgrader(this));
  }

  get mode(): 'owned' | 'attached' {
    return this.supervisor ? 'owned' : 'attached';
  }

  async liveness(): Promise<Liveness> {
    return this.supervisor ? ownedLiveness(this.supervisor) : attachedLiveness(this.redis);
  }

  async readiness(): Promise<Readiness> {
    if (this.shuttingDown) return { ready: false, reasons: ['shutting-down: the manager received SIGTERM'] };
    const { role, held } = this.state.current;
    return checkReadiness(this.redis, {
      desiredRole: role,
      held: held?.reason ?? null,
      fencedUntil: this.replication.fencedUntil(),
      maxLagSeconds: this.config.maxLagSeconds,
    });
  }

  async status(): Promise<Status> {
    const status = await readStatus(this.redis, () => ({
      manager: {
        version: this.identity.version,
        executableHash: this.identity.executableHash,
        sessionId: this.identity.sessionId,
        upgrading: this.upgrader.upgrading,
        mode: this.mode,
        ...this.upgrader.info(),
        tls: this.serving?.status() ?? PLAIN_HTTP,
      },
      restarts: this.supervisor?.restarts ?? 0,
      state: this.state.current,
      fenceOn: (runId) => this.replication.fenceOn(runId),
      now: new Date(),
    }));
    return { ...status, lastBackup: this.backups.last() };
  }

  /** 501 (RedisVersionError) when the Redis behind this node is too old for `feature`. */
  async requireRedis(feature: Feature): Promise<void> {
    requireFeature(await readServer(this.redis), feature);
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

  /**
   * The last step before the exec of a new build: the marker that tells the new process it is
   * the same one (no restart, so a primary is not held), then letting go of Redis.
   */
  async prepareExec(): Promise<void> {
    this.replication.stop();
    await this.state.update(execMarker());
    await this.detach();
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
