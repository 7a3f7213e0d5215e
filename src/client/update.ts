// The operator's side of an in-place upgrade: compute the body's digest, upload the new
// bundle, then wait until the manager reports that it runs it (its executableHash is the
// uploaded file's and its sessionId is new, i.e. the exec happened), or give up.
//
//   const done = await update(im, await readFile('dist/instance-manager.mjs'), { timeoutMs: 60_000 });
//   console.log(`now ${done.version}, session ${done.sessionId}`);
import { createClient, type ClientOptions, type InstanceManagerClient } from './create.js';
import { TimeoutError } from './runtime.js';

export interface UpdateOptions {
  /** Give up after this long, upload and restart together (default 60 000 ms). */
  timeoutMs?: number;
  /** How often /v1/status is read while the manager restarts (default 100 ms). */
  pollIntervalMs?: number;
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
        : `the manager did not report the new build with a new session within ${timeoutMs} ms`;
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
    accepted = await client.update({ header: { 'Content-Digest': header }, body: file }, { timeoutMs: remaining() });
  } catch (err) {
    if (err instanceof TimeoutError) throw new UpdateTimeoutError(timeoutMs, 'upload');
    throw err;
  }
  if (accepted.sha256 !== sha256) {
    throw new Error(`the manager installed a file with sha256 ${accepted.sha256}, not the uploaded ${sha256}`);
  }

  // While the manager execs it refuses connections; every failure here is "not yet".
  for (;;) {
    const now = await client.getStatus({ timeoutMs: Math.min(2000, remaining()) }).catch(() => undefined);
    if (now && now.manager.executableHash === sha256 && now.manager.sessionId !== before.manager.sessionId) {
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
