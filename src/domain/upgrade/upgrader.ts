// PUT /v1/update, the domain side. In order, so that a bad upload changes nothing:
//   1. preconditions: not shutting down (503); this Node can exec, the manager runs from a
//      bundle (501); the running build is not itself still on trial, and no other update,
//      backup or replication change is in progress (409); a signature when a key is set (400);
//   2. the body is streamed to a staging file beside the bundle, hashed (and, with a key,
//      its signature checked as it streams), size-capped (413), given up when it stalls (408);
//   3. its SHA-256 must equal the Content-Digest (422), its signature must verify (422),
//      then it must pass its self-test (422), and the caller gets 202;
//   4. after the response is out, exec() records the new build as on trial, tells the bridge
//      (started beside the self-test, bridge.ts) to accept in its place, stops accepting, lets
//      go of Redis and execs it from the staging file. The installed bundle is
//      untouched until the new build has served /healthz with Redis adopted and renames
//      itself over it (see build-slots.ts); if it dies or hangs first, the previous build
//      is started again (by the launcher at once, or by the next start of the container).
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { ConflictError, NotImplementedError, UnprocessableError, messageOf } from '../../errors.js';
import type { ManagerIdentity } from '../manager-identity.js';
import type { OperationGuard, OperationLease } from '../operation-guard.js';
import { startBridge, type Bridge } from './bridge.js';
import { BuildSlots, type BuildRef, type SlotInfo } from './build-slots.js';
import { compileCacheDir, installedPathFor, recordPath } from './bundle-files.js';
import { parseSignatureHeader, startSignatureCheck, type UpdateKey } from './bundle-signature.js';
import { digestsEqual, parseSha256Digest } from './content-digest.js';
import { execInto, execTarget, flushLog } from './exec.js';
import { BRIDGE_ENV, canExec, findExecutable, formatBridge, PLAIN_LAUNCH, type Launch } from './launch.js';
import { WATCHDOG_SCRIPT } from './launcher-scripts.js';
import { receiveUpload } from './receive-upload.js';
import { selfTest } from './self-test.js';

/** How often a build on trial checks whether it can confirm itself. */
const CONFIRM_RETRY_MS = 250;

/** What the Instance lends the upgrader. */
export interface UpgradeHost {
  readonly config: {
    updateMaxBytes: number;
    updateSelfTestTimeoutMs: number;
    updateStallTimeoutMs: number;
    updateConfirmTimeoutMs: number;
  };
  readonly identity: ManagerIdentity;
  readonly log: Logger;
  readonly operations: OperationGuard;
  /** 503 once SIGTERM has begun the shutdown. */
  assertAcceptingWrites(): void;
  /** Records the exec marker and lets go of Redis without stopping it. */
  prepareExec(): Promise<void>;
}

export interface UpdateRequest {
  body: Readable;
  contentDigest: string | undefined;
  /** The body's declared Content-Length, when it has a sane one. */
  declaredLength: number | undefined;
  signature: string | undefined;
}

export interface UpdateAccepted {
  version: string;
  sha256: string;
}

export interface UpgraderStart {
  /** How this process was launched (the socket it may hand on, its launcher). */
  launch: Launch;
  /** The key updates must be signed with, or null: unsigned updates. */
  updateKey: UpdateKey | null;
  /** The `run` flags, passed to a new build's self-test. */
  runArgs: readonly string[];
}

/** The fields of /v1/status.manager that the upgrader knows. */
export type UpgraderInfo = SlotInfo & {
  updateSignatureRequired: boolean;
  updatePublicKeyFingerprint: string | null;
};

export class Upgrader {
  private readonly servers: { drain(): Promise<void> }[] = [];
  private execStarted = false;
  /** From the point of no return until the exec (the process ends holding the lease). */
  private accepted: { lease: OperationLease; file: string; to: BuildRef; bridge: Promise<Bridge | null> } | null = null;
  private slots: BuildSlots | null = null;
  private started: UpgraderStart = { launch: PLAIN_LAUNCH, updateKey: null, runArgs: [] };

  constructor(private readonly host: UpgradeHost) {}

  private get log(): Logger {
    return this.host.log.child({ module: 'upgrade' });
  }

  /** At start, before serving: settles the upgrade record (see BuildSlots.open). */
  async start(start: UpgraderStart): Promise<void> {
    this.started = start;
    if (this.host.identity.executablePath !== null) await this.openSlots();
  }

  /** True between accepting an update (new build verified, 202) and the exec. */
  get upgrading(): boolean {
    return this.accepted !== null;
  }

  /** The servers to stop and drain before the exec (registered by the server). */
  serveOn(server: { drain(): Promise<void> }): void {
    this.servers.push(server);
  }

  info(): UpgraderInfo {
    const slots = this.slots?.info() ?? { confirmed: true, previousVersion: null, rollback: null };
    return {
      ...slots,
      updateSignatureRequired: this.started.updateKey !== null,
      updatePublicKeyFingerprint: this.started.updateKey?.fingerprint ?? null,
    };
  }

  /**
   * A new build on trial confirms itself once `serving()` says it answers /healthz (Redis
   * adopted and alive): its file becomes the installed bundle. Retried until it works or
   * the process moves on (shutdown, exec); the watchdog rolls back a build that never does.
   */
  async confirmWhenServing(serving: () => Promise<boolean>, stopped: () => boolean): Promise<void> {
    const slots = this.slots;
    if (!slots?.trial) return;
    while (!stopped() && !this.execStarted) {
      const ok = await serving().catch(() => false);
      if (ok) {
        try {
          await slots.confirm();
          this.host.identity.executablePath = slots.installedPath;
          return;
        } catch (err) {
          this.log.error({ err: messageOf(err) }, 'could not confirm the new build; retrying');
        }
      }
      await new Promise((resolve) => setTimeout(resolve, CONFIRM_RETRY_MS));
    }
  }

  /** Steps 1 to 3. On any error nothing is kept and the staging file is gone. */
  async install(request: UpdateRequest): Promise<UpdateAccepted> {
    this.host.assertAcceptingWrites();
    const installedPath = this.installedPath();
    const slots = await this.openSlots();
    if (slots.trial) {
      throw new ConflictError(
        `the running build ${this.host.identity.version} is on trial and has not confirmed yet; nothing installed`,
      );
    }
    const expected = parseSha256Digest(request.contentDigest);
    const key = this.started.updateKey;
    const signature = key === null ? null : parseSignatureHeader(request.signature);
    const lease = this.host.operations.begin('update', 'an update');
    const log = this.log;
    const check = key !== null && signature !== null ? startSignatureCheck(key, signature) : null;
    try {
      const upload = await receiveUpload(request.body, {
        installedPath,
        maxBytes: this.host.config.updateMaxBytes,
        declaredLength: request.declaredLength,
        stallTimeoutMs: this.host.config.updateStallTimeoutMs,
        onChunk: check === null ? undefined : (chunk) => check.update(chunk),
      });
      const sha256 = upload.sha256.toString('hex');
      try {
        if (!digestsEqual(upload.sha256, expected)) {
          throw new UnprocessableError(
            `the body's sha-256 (${upload.sha256.toString('base64')}) is not the one in Content-Digest (${expected.toString('base64')}); nothing installed`,
          );
        }
        if (check !== null && !(await check.verify(upload.file))) {
          throw new UnprocessableError(
            `Bundle-Signature does not verify for this body with the update key ${key!.fingerprint} (${key!.algorithm}); nothing installed`,
          );
        }
        // The self-test compiles the whole new build: its code cache makes the exec start faster.
        await rm(compileCacheDir(installedPath), { recursive: true, force: true });
        // The bridge that will accept through the exec starts meanwhile (bridge.ts).
        const bridge = startBridge(this.host.identity.executablePath!, this.started.runArgs, this.started.launch);
        const tested = selfTest(upload.file, {
          timeoutMs: this.host.config.updateSelfTestTimeoutMs,
          runArgs: [...this.started.runArgs],
          env: { ...process.env, NODE_COMPILE_CACHE: compileCacheDir(installedPath) },
        });
        tested.catch(() => void bridge.then((started) => started?.stop()));
        const { version } = await tested;
        this.accepted = { lease, file: upload.file, to: { version, sha256 }, bridge };
        log.info(
          { version, sha256, bytes: upload.bytes, from: this.host.identity.version, signed: check !== null },
          'new build verified; trying it',
        );
        return { version, sha256 };
      } finally {
        if (!this.accepted) await rm(upload.file, { force: true });
      }
    } catch (err) {
      log.warn({ err: messageOf(err) }, 'update refused; nothing installed');
      throw err;
    } finally {
      if (!this.accepted) lease.release();
    }
  }

  /** Step 4: after the 202 is on the wire. Never returns when it works. */
  async exec(): Promise<void> {
    const accepted = this.accepted;
    if (this.execStarted || accepted === null) return;
    this.execStarted = true;
    const log = this.log;
    let bridge: Bridge | null = null;
    try {
      // The trial is recorded and its watchdog started while this build still serves: from
      // the drain on, new connections wait in the backlog until the new build accepts them,
      // so only what must follow the last request (the exec marker, letting go of Redis)
      // comes after it. A failure anywhere below exits, and the launcher runs the installed
      // build (this one) again, as it would after a failed exec.
      const slots = await this.openSlots();
      const target = execTarget(accepted.file, this.started.launch);
      target.env.NODE_COMPILE_CACHE = compileCacheDir(slots.installedPath);
      const trial = await slots.beginTrial(accepted.to, accepted.file);
      await startWatchdog(this.host.config.updateConfirmTimeoutMs, recordPath(slots.installedPath), trial);
      // From here the bridge accepts beside this process; the new build ends it once it serves.
      bridge = await accepted.bridge;
      if (bridge !== null) target.env[BRIDGE_ENV] = formatBridge(bridge);
      bridge?.accept();
      await Promise.all(this.servers.map((server) => server.drain()));
      await this.host.prepareExec();
      // Just before the exec: the last moment this build acts.
      await execInto(target, log);
    } catch (err) {
      // The installed build is untouched: exit, and the launcher (or the container's
      // restart) runs it again; it adopts the still-running redis-server.
      log.fatal({ err }, 'exec of the new build failed; exiting');
      bridge?.stop();
      await flushLog(log);
      process.exit(1);
    }
  }

  /** The installed bundle, or 501 when an in-place upgrade cannot work here. */
  private installedPath(): string {
    if (!canExec()) {
      throw new NotImplementedError(
        `this Node (${process.version}) has no process.execve; an in-place update needs Node >= 22.15; nothing installed`,
      );
    }
    if (this.host.identity.executablePath === null) {
      throw new NotImplementedError(
        'the manager is not running from its bundle (instance-manager.mjs), so there is no installed file to replace; nothing installed',
      );
    }
    return installedPathFor(this.host.identity.executablePath);
  }

  /** The slots of the bundle this process runs from (opened again if a test re-points it). */
  private async openSlots(): Promise<BuildSlots> {
    const { executablePath, executableHash, version } = this.host.identity;
    const current = this.slots;
    if (current && (current.runningPath === executablePath || current.installedPath === executablePath)) return current;
    this.slots = await BuildSlots.open({
      runningPath: executablePath!,
      self: { version, sha256: executableHash ?? '' },
      trialExit: this.started.launch.trialExit,
      log: this.log,
    });
    return this.slots;
  }
}

/**
 * A process of its own that kills this one (same PID after the exec) if the new build has
 * not confirmed within the timeout; see WATCHDOG_SCRIPT. Without a shell there is none, and
 * a new build that hangs stays until the kubelet's liveness probe restarts the container.
 */
async function startWatchdog(timeoutMs: number, record: string, trialId: string): Promise<void> {
  const sh = findExecutable('sh');
  if (sh === undefined) return;
  const seconds = String(Math.ceil(timeoutMs / 1000));
  const shell = spawn(
    sh,
    ['-c', WATCHDOG_SCRIPT, 'instance-manager-watchdog', seconds, record, trialId, String(process.pid)],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  // The shell backgrounds the watchdog and exits at once; it is reaped before the exec.
  await new Promise<void>((resolve, reject) => {
    shell.once('error', reject);
    shell.once('exit', () => resolve());
  });
}
