// PUT /v1/update, the domain side. In order, so that a bad upload changes nothing:
//   1. preconditions: not shutting down (503); this Node can exec, the manager runs from a
//      bundle (501); no other update, backup or replication change is in progress (409);
//   2. the body is streamed to a staging file beside the bundle, hashed, size-capped (413);
//   3. its SHA-256 must equal the Content-Digest (422), then it must pass `--version` (422);
//   4. it is renamed over the installed bundle (the path this process runs from, never one
//      taken from the request) and the caller gets 202;
//   5. after the response is out, handOver() closes the listeners and execs the new bundle.
import type { Server } from 'node:http';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { NotImplementedError, UnprocessableError, messageOf } from '../../errors.js';
import type { ManagerIdentity } from '../manager-identity.js';
import { digestsEqual, parseSha256Digest } from './content-digest.js';
import { canExec, flushLog, handOver } from './hand-over.js';
import { installOver } from './install.js';
import type { OperationGuard, OperationLease } from '../operation-guard.js';
import { receiveUpload } from './receive-upload.js';
import { selfTest } from './self-test.js';

/** What the Instance lends the updater. */
export interface UpdateHost {
  readonly config: { updateMaxBytes: number; updateSelfTestTimeoutMs: number };
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
  contentLength: string | undefined;
}

export interface UpdateAccepted {
  version: string;
  sha256: string;
}

export class Updater {
  private readonly servers: Server[] = [];
  private handingOver = false;
  /** Held from the point of no return until the exec (the process ends holding it). */
  private accepted: OperationLease | null = null;

  constructor(private readonly host: UpdateHost) {}

  /** True between accepting an update (new bundle installed, 202) and the exec. */
  get upgrading(): boolean {
    return this.accepted !== null;
  }

  /** The listeners to close before the exec (registered by the server). */
  serveOn(server: Server): void {
    this.servers.push(server);
  }

  /** Steps 1 to 4. On any error nothing is installed and the staging file is gone. */
  async install(request: UpdateRequest): Promise<UpdateAccepted> {
    this.host.assertAcceptingWrites();
    const bundlePath = this.bundlePath();
    const expected = parseSha256Digest(request.contentDigest);
    const lease = this.host.operations.begin('update', 'an update');
    const log = this.host.log.child({ module: 'upgrade' });
    try {
      const upload = await receiveUpload(request.body, {
        installedPath: bundlePath,
        maxBytes: this.host.config.updateMaxBytes,
        declaredLength: parseLength(request.contentLength),
      });
      const sha256 = upload.sha256.toString('hex');
      try {
        if (!digestsEqual(upload.sha256, expected)) {
          throw new UnprocessableError(
            `the body's sha-256 (${upload.sha256.toString('base64')}) is not the one in Content-Digest (${expected.toString('base64')}); nothing installed`,
          );
        }
        const { version } = await selfTest(upload.file, this.host.config.updateSelfTestTimeoutMs);
        await installOver(upload.file, bundlePath);
        this.accepted = lease;
        log.info({ version, sha256, bytes: upload.bytes, from: this.host.identity.version }, 'new build installed');
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

  /** Step 5: after the 202 is on the wire. Never returns when it works. */
  async handOver(): Promise<void> {
    if (this.handingOver) return;
    this.handingOver = true;
    const log = this.host.log.child({ module: 'upgrade' });
    try {
      await handOver({
        servers: this.servers,
        log,
        detach: () => this.host.prepareExec(),
        bundlePath: this.bundlePath(),
      });
    } catch (err) {
      // The new build is installed but this process could not become it: exit so that the
      // container restarts on the new build, which adopts the still-running redis-server.
      log.fatal({ err }, 'exec of the new build failed; exiting');
      await flushLog(log);
      process.exit(1);
    }
  }

  /** The installed bundle, or 501 when an in-place upgrade cannot work here. */
  private bundlePath(): string {
    if (!canExec()) {
      throw new NotImplementedError(
        `this Node (${process.version}) has no process.execve; an in-place update needs Node >= 22.15; nothing installed`,
      );
    }
    const path = this.host.identity.executablePath;
    if (path === null) {
      throw new NotImplementedError(
        'the manager is not running from its bundle (instance-manager.mjs), so there is no installed file to replace; nothing installed',
      );
    }
    return path;
  }
}

function parseLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
