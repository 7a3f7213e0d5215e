// The operator's side of an in-place upgrade: compute the body's digest, upload the new
// bundle (with its signature, for a manager that requires one), then wait until the manager
// reports that it runs it and has confirmed it (its executableHash is the uploaded file's,
// its sessionId is new, i.e. the exec happened, and `confirmed` is true), or that it rolled
// it back, or give up.
//
//   const signature = execFileSync('cosign', ['sign-blob', '--key', 'cosign.key', 'dist/instance-manager.mjs']).toString().trim();
//   const done = await update(im, await readFile('dist/instance-manager.mjs'), { signature, timeoutMs: 60_000 });
//   console.log(`now ${done.version}, session ${done.sessionId}`);
import { createClient, type ClientOptions, type InstanceManagerClient } from './create.js';
import { TimeoutError } from './runtime.js';

export interface UpdateOptions {
  /** Give up after this long, upload and restart together (default 60 000 ms). */
  timeoutMs?: number;
  /** How often /v1/status is read while the manager restarts (default 100 ms). */
  pollIntervalMs?: number;
  /**
   * The base64 signature of `file` (sent as Bundle-Signature): what `cosign sign-blob --key`
   * prints, or `openssl dgst -sha256 -sign key.pem file | base64 -w0` (ECDSA P-256), or
   * `openssl pkeyutl -sign -inkey key.pem -rawin -in file | base64 -w0` (Ed25519). Required
   * by a manager whose status says `updateSignatureRequired`.
   */
  signature?: string;
}

export interface UpdateOutcome {
  /** What the new build printed for --version. */
  version: string;
  /** sha256 (hex) of the uploaded and now running bundle. */
  sha256: string;
  /** The manager's new session. */
  sessionId: string;
  previousSessionId: string;
}

/** The new build started but did not confirm: the manager went back to the previous build. */
export class UpdateRolledBackError extends Error {
  constructor(
    readonly version: string,
    readonly reason: string,
  ) {
    super(`the manager rolled the update to ${version} back: ${reason}`);
    this.name = 'UpdateRolledBackError';
  }
}

/** The update was accepted but the manager did not come back on it in time. */
export class UpdateTimeoutError extends TimeoutError {
  constructor(
    timeoutMs: number,
    readonly stage: 'upload' | 'restart',
  ) {
    super(timeoutMs);
    this.name = 'UpdateTimeoutError';
    this.message =
      stage === 'upload'
        ? `the update was not accepted within ${timeoutMs} ms`
        : `the manager did not report the new build, confirmed, with a new session within ${timeoutMs} ms`;
  }
}

/** The RFC 9530 Content-Digest of a body, and its sha256 in hex. */
export async function contentDigest(file: Uint8Array): Promise<{ header: string; sha256: string }> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', file as Uint8Array<ArrayBuffer>));
  const base64 = btoa(String.fromCharCode(...digest));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { header: `sha-256=:${base64}:`, sha256 };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function update(
  target: InstanceManagerClient | ClientOptions,
  file: Uint8Array,
  options: UpdateOptions = {},
): Promise<UpdateOutcome> {
  const client = 'baseUrl' in target ? createClient(target) : target;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());

  const before = await client.getStatus({ timeoutMs: remaining() });
  const { header, sha256 } = await contentDigest(file);
  let accepted;
  try {
    const headers = {
      'Content-Digest': header,
      ...(options.signature === undefined ? {} : { 'Bundle-Signature': options.signature }),
    };
    accepted = await client.update({ header: headers, body: file }, { timeoutMs: remaining() });
  } catch (err) {
    if (err instanceof TimeoutError) throw new UpdateTimeoutError(timeoutMs, 'upload');
    throw err;
  }
  if (accepted.sha256 !== sha256) {
    throw new Error(`the manager installed a file with sha256 ${accepted.sha256}, not the uploaded ${sha256}`);
  }

  // While the manager execs, a status read may wait or (without the launcher) be refused:
  // every failure here is "not yet". A build on trial (confirmed: false) is not done yet.
  for (;;) {
    const now = await client.getStatus({ timeoutMs: Math.min(2000, remaining()) }).catch(() => undefined);
    const newSession = now !== undefined && now.manager.sessionId !== before.manager.sessionId;
    if (newSession && now.manager.rollback?.sha256 === sha256) {
      throw new UpdateRolledBackError(now.manager.rollback.version, now.manager.rollback.reason);
    }
    // `confirmed` is absent on managers older than A/B upgrades: they run what they installed.
    if (newSession && now.manager.executableHash === sha256 && now.manager.confirmed !== false) {
      return {
        version: now.manager.version,
        sha256,
        sessionId: now.manager.sessionId,
        previousSessionId: before.manager.sessionId,
      };
    }
    if (Date.now() >= deadline) throw new UpdateTimeoutError(timeoutMs, 'restart');
    await sleep(Math.min(options.pollIntervalMs ?? 100, remaining()));
  }
}
