// The operator token: read from --token-file, re-read whenever the file changes (a
// Kubernetes Secret rotates by swapping a symlink), compared in constant time, and never
// logged. No file, an unreadable file or an empty one means no token: writes are refused.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { UnauthorizedError } from '../errors.js';

interface Loaded {
  /** Identity of the file version the digest was read from. */
  stamp: string;
  digest: Buffer | null;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class TokenStore {
  private loaded: Loaded = { stamp: '', digest: null };

  constructor(private readonly file: string | undefined) {}

  /** The sha256 of the current token, or null when none is configured. */
  private currentDigest(): Buffer | null {
    if (this.file === undefined) return null;
    let stamp: string;
    try {
      // stat follows the Secret's ..data symlink, so a rotation changes ino and mtime.
      const st = statSync(this.file);
      stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      this.loaded = { stamp: '', digest: null };
      return null;
    }
    if (stamp !== this.loaded.stamp) {
      let token = '';
      try {
        token = readFileSync(this.file, 'utf8').trim();
      } catch {
        token = '';
      }
      this.loaded = { stamp, digest: token === '' ? null : sha256(token) };
    }
    return this.loaded.digest;
  }

  /** Throws UnauthorizedError unless the Authorization header carries the current token. */
  verify(authorization: string | undefined): void {
    const expected = this.currentDigest();
    if (authorization === undefined || authorization === '') {
      throw new UnauthorizedError('this operation needs the operator token as a bearer token', false);
    }
    const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization);
    if (!match) throw new UnauthorizedError('the Authorization header is not of the form "Bearer <token>"', true);
    // Fail closed: with no token configured nothing matches.
    if (expected === null) {
      throw new UnauthorizedError('no operator token is configured on this instance; writes are refused', true);
    }
    // Comparing fixed-length digests keeps the comparison constant-time whatever the lengths.
    if (!timingSafeEqual(sha256(match[1]), expected)) {
      throw new UnauthorizedError('the bearer token is not valid', true);
    }
  }
}
