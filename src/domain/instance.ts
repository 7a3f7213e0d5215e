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
import { identifyManager, type ManagerIdentity } from './manager-identity.js';
import { attachedLiveness, ownedLiveness, type Liveness } from './probes/liveness.js';
import { checkReadiness, type Readiness } from './probes/readiness.js';
import { replicaOfAtSpawn } from './replication/boot-role.js';
import { Replication } from './replication/replication.js';
import { StateStore } from './state/state-file.js';
import { readStatus } from './status/status.js';
import { RedisSupervisor } from './supervision/supervisor.js';

export class Instance {
  /** True from SIGTERM on: writes are refused while Redis shuts down. */
  shuttingDown = false;

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly identity: ManagerIdentity,
    readonly redis: RedisAdapter,
    readonly supervisor: RedisSupervisor | null,
    readonly tokens: TokenStore,
    readonly state: StateStore,
    readonly replication: Replication,
  ) {}

  /** Reads the state file, then adopts or starts redis-server (unless attached). */
  static async open(config: Config, log: Logger): Promise<Instance> {
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
    const replication = new Replication({ redis, state, log: log.child({ module: 'replication' }), redisPort: endpoint.port });
    if (supervisor) {
      // Redis (re)started from the state file; bring it fully in line (resume a held primary).
      supervisor.on('started', () => void replication.reconcileSoon(0));
      await replication.reconcileSoon(5000);
    }
    const instance = new Instance(config, log, await identifyManager(), redis, supervisor, new TokenStore(config.tokenFile), state, replication);
    const { role, primary, epoch } = state.current;
    log.info(
      { mode: instance.mode, role, primary, epoch, session: instance.identity.sessionId },
      'instance manager ready',
    );
    return instance;
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
    return readStatus(this.redis, () => ({
      manager: {
        version: this.identity.version,
        executableHash: this.identity.executableHash,
        sessionId: this.identity.sessionId,
        upgrading: false,
        mode: this.mode,
      },
      restarts: this.supervisor?.restarts ?? 0,
      desiredRole: this.state.current.role,
      epoch: this.state.current.epoch,
      lastRoleChangeAt: this.state.current.roleChangedAt,
      isFenced: (runId) => this.replication.isFenced(runId),
      now: new Date(),
    }));
  }

  /** Guards a write: refused once shutdown has begun. */
  assertAcceptingWrites(): void {
    if (this.shuttingDown) throw new UnavailableError('the manager is shutting down and takes no writes');
  }

  /** SIGTERM: stop taking writes, SHUTDOWN Redis within the grace period. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.replication.stop();
    if (this.supervisor) await this.supervisor.shutdown(this.redis, this.config.shutdownGraceMs);
    await this.redis.close();
  }

  /** Leaves Redis running and lets go of it (tests; the exec of an upgrade). */
  async detach(): Promise<void> {
    this.replication.stop();
    this.supervisor?.detach();
    await this.redis.close();
  }
}

async function readSecret(file: string): Promise<string> {
  const value = (await readFile(file, 'utf8')).trim();
  if (value === '') throw new Error('--redis-password-file is empty');
  return value;
}
