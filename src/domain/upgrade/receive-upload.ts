// Streams an upload to a temporary file while hashing it, within a size cap. The file is
// created beside the installed bundle (same filesystem, so the later rename is atomic) with
// a name that still ends in .mjs (so Node runs it as an ES module for the self-test).
// Whatever goes wrong, the temporary file is removed before the error is thrown.
import { createHash, randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { PayloadTooLargeError, ValidationError } from '../../errors.js';

export interface ReceivedUpload {
  /** The temporary file holding the body. */
  file: string;
  sha256: Buffer;
  bytes: number;
}

/** Where an upload for this installed file is staged: `<dir>/.<name>.upload-<hex>.mjs`. */
export function stagingPath(installedPath: string): string {
  const name = basename(installedPath).replace(/\.mjs$/, '');
  return join(dirname(installedPath), `.${name}.upload-${randomBytes(6).toString('hex')}.mjs`);
}

/** True for a name stagingPath gives (tests check that none is left behind). */
export function isStagingName(name: string): boolean {
  return /^\..*\.upload-[0-9a-f]{12}\.mjs$/.test(name);
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the update is larger than the limit of ${maxBytes} bytes (--update-max-bytes)`);
}

/**
 * Reads the body into a new staging file. Refuses before reading when Content-Length is
 * over the cap, and stops reading at the first byte past it (413). A body that ends early
 * (the client went away, or sent less than its Content-Length) is a 400.
 */
export async function receiveUpload(
  body: Readable,
  options: { installedPath: string; maxBytes: number; declaredLength: number | undefined },
): Promise<ReceivedUpload> {
  const { maxBytes, declaredLength } = options;
  if (declaredLength !== undefined && declaredLength > maxBytes) throw tooLarge(maxBytes);
  const file = stagingPath(options.installedPath);
  const handle = await open(file, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    // destroyOnReturn: false keeps the socket when reading stops early, so a 413 can still be sent.
    for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        body.pause();
        throw tooLarge(maxBytes);
      }
      hash.update(chunk);
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
    if (err instanceof PayloadTooLargeError || err instanceof ValidationError) throw err;
    // The client went away mid-body (aborted request, reset connection).
    throw new ValidationError(`the upload was cut short after ${bytes} bytes`);
  }
}
