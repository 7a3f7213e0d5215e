// Streams an upload to a temporary file while hashing it, within a size cap. The file is
// created beside the installed bundle (same filesystem, so the later rename is atomic) with
// a name that still ends in .mjs (so Node runs it as an ES module for the self-test).
// Whatever goes wrong, the temporary file is removed before the error is thrown. An upload
// that stops sending is given up after a while without progress (408), so that it cannot
// hold the operation guard (and with it every role change) for minutes.
import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PayloadTooLargeError, RequestTimeoutError, ValidationError } from '../../errors.js';
import { stagingPathWith } from './bundle-files.js';

export interface ReceivedUpload {
  /** The temporary file holding the body. */
  file: string;
  sha256: Buffer;
  bytes: number;
}

/** Where an upload for this installed file is staged: `<dir>/.<name>.upload-<hex>.mjs`. */
export function stagingPath(installedPath: string): string {
  return stagingPathWith(installedPath, randomBytes(6).toString('hex'));
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the update is larger than the limit of ${maxBytes} bytes (--update-max-bytes)`);
}

/**
 * Reads the body into a new staging file. Refuses before reading when Content-Length is
 * over the cap, and stops reading at the first byte past it (413). A body that ends early
 * (the client went away, or sent less than its Content-Length) is a 400; one that sends
 * nothing for `stallTimeoutMs` is a 408. `onChunk` sees every byte as it arrives (the
 * signature check streams through it).
 */
export async function receiveUpload(
  body: Readable,
  options: {
    installedPath: string;
    maxBytes: number;
    declaredLength: number | undefined;
    stallTimeoutMs: number;
    onChunk?: (chunk: Buffer) => void;
  },
): Promise<ReceivedUpload> {
  const { maxBytes, declaredLength, stallTimeoutMs } = options;
  if (declaredLength !== undefined && declaredLength > maxBytes) throw tooLarge(maxBytes);
  const file = stagingPath(options.installedPath);
  const handle = await open(file, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  // destroyOnReturn: false keeps the socket when reading stops early, so a 413 or 408 can still be sent.
  const chunks = (body.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await withStallTimeout(chunks.next(), stallTimeoutMs, bytes);
      if (next.done === true) break;
      const chunk = next.value;
      bytes += chunk.length;
      if (bytes > maxBytes) {
        body.pause();
        throw tooLarge(maxBytes);
      }
      hash.update(chunk);
      options.onChunk?.(chunk);
      await handle.write(chunk);
    }
    if (declaredLength !== undefined && bytes !== declaredLength) {
      throw new ValidationError(`the upload ended after ${bytes} of ${declaredLength} bytes`);
    }
    if (bytes === 0) throw new ValidationError('the upload is empty');
    await handle.sync();
    await handle.close();
    return { file, sha256: hash.digest(), bytes };
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(file, { force: true });
    if (err instanceof RequestTimeoutError) body.pause();
    if (err instanceof PayloadTooLargeError || err instanceof ValidationError || err instanceof RequestTimeoutError)
      throw err;
    // The client went away mid-body (aborted request, reset connection).
    throw new ValidationError(`the upload was cut short after ${bytes} bytes`);
  }
}

/** The next chunk, or RequestTimeoutError when none comes within `ms`. */
async function withStallTimeout<T>(next: Promise<T>, ms: number, bytesSoFar: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new RequestTimeoutError(
            `the upload made no progress for ${ms / 1000} s after ${bytesSoFar} bytes (--update-stall-timeout-seconds); nothing installed`,
          ),
        ),
      ms,
    );
  });
  next.catch(() => {}); // a read that fails after we gave up on it
  try {
    return await Promise.race([next, stalled]);
  } finally {
    clearTimeout(timer);
  }
}
