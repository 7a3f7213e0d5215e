// Content-Digest (RFC 9530): the header is a Structured Fields dictionary of algorithm to
// byte sequence, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`. The upgrade
// requires a sha-256 member; other algorithms may be listed beside it and are ignored.
import { timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../../errors.js';

const SHA256_BYTES = 32;

/** The sha-256 digest the header declares, or ValidationError (400) when absent or malformed. */
export function parseSha256Digest(header: string | undefined): Buffer {
  if (header === undefined || header.trim() === '') {
    throw new ValidationError("Content-Digest is required: sha-256=:<base64 of the body's SHA-256>: (RFC 9530)");
  }
  for (const member of header.split(',')) {
    const m = /^\s*([a-z][a-z0-9_\-.*]*)=:([A-Za-z0-9+/]*={0,2}):\s*$/.exec(member);
    if (!m) throw new ValidationError(`Content-Digest is not an RFC 9530 dictionary of algorithm=:base64: members`);
    if (m[1] !== 'sha-256') continue;
    const bytes = Buffer.from(m[2], 'base64');
    if (bytes.length !== SHA256_BYTES || bytes.toString('base64') !== m[2]) {
      throw new ValidationError(`Content-Digest sha-256 must be the base64 of 32 bytes`);
    }
    return bytes;
  }
  throw new ValidationError('Content-Digest has no sha-256 member; only sha-256 is accepted');
}

/** The header value a client sends for a body with this SHA-256. */
export function formatSha256Digest(sha256: Buffer): string {
  return `sha-256=:${sha256.toString('base64')}:`;
}

export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
