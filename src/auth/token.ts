// The operator token: read from --token-file, re-read whenever the file changes (its
// content, a Kubernetes Secret's symlink swap, or its permissions or owner alone), compared
// in constant time, and never logged. No file, an unreadable file, an empty one, or one whose
// content could never be presented as a bearer token means no token: writes are refused.
// Such content is refused at start (the manager does not run with it); found at a reload it
// is logged (the file named, never its content) and counted (token-metrics.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError, UnauthorizedError } from '../errors.js';

/** RFC 6750 b64token: what an Authorization: Bearer header can carry. */
const B64TOKEN = '[A-Za-z0-9\\-._~+/]+=*';
const TOKEN = new RegExp(`^${B64TOKEN}$`);
const BEARER = new RegExp(`^Bearer[ ]+(${B64TOKEN})\\s*$`, 'i');

/** Why a token file gives no usable token. */
export type TokenFailure = 'missing' | 'unreadable' | 'empty' | 'invalid';
export const TOKEN_FAILURES: readonly TokenFailure[] = ['missing', 'unreadable', 'empty', 'invalid'];

/**
 * Why this token (the file's content, trimmed) could never be presented as a bearer token,
 * or null when it can. Names kinds of characters only, never the content. Pure.
 */
export function unusableTokenReason(token: string): string | null {
  if (/\s/.test(token)) return 'it contains whitespace';
  if (/[\x00-\x1f\x7f]/.test(token)) return 'it contains control characters';
  if (/[^\x20-\x7e]/.test(token)) return 'it contains non-ASCII characters';
  if (!TOKEN.test(token)) {
    return 'it contains characters a bearer token cannot carry (RFC 6750: A-Z a-z 0-9 - . _ ~ + / and = at the end only)';
  }
  return null;
}

export interface TokenReading {
  /** Identity of the file version the digest was read from; '' when it could not be stat'ed. */
  stamp: string;
  digest: Buffer | null;
  failure: TokenFailure | null;
  reason: string | null;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

/**
 * How old a reading /metrics may report. Writes always look at the file; a scrape looks at
 * most once a second, since a stat per scrape was about 3% of a scrape's CPU (bench/README.md).
 */
const STATS_MAX_AGE_MS = 1000;

export class TokenStore {
  private loaded: TokenReading | null = null;
  /** When the file was last looked at (Date.now()). */
  private lookedAt = -Infinity;
  private readonly failures = new Map<TokenFailure, number>(TOKEN_FAILURES.map((f) => [f, 0]));

  constructor(
    private readonly file: string | undefined,
    private readonly log?: Logger,
  ) {}

  /**
   * Loads the token at start. Content that could never be presented as a bearer token is a
   * ConfigError (the manager does not start); no file, an empty or unreadable one is logged
   * and writes are refused until the file is usable.
   */
  static open(file: string | undefined, log: Logger): TokenStore {
    const store = new TokenStore(file, log);
    const loaded = store.refresh();
    if (file === undefined) {
      log.warn('no --token-file: every write is refused');
    } else if (loaded.failure === 'invalid') {
      throw new ConfigError(
        `--token-file ${file}: its content cannot be a bearer token (${loaded.reason}); fix the file (the secret), the manager does not start with it`,
      );
    } else if (loaded.failure !== null) {
      log.warn(
        { file, reason: loaded.reason },
        'no usable operator token yet; every write is refused until there is one',
      );
    }
    return store;
  }

  /** For /metrics (at most a second old): is a usable token in effect, and reload failures by kind (all present). */
  stats(now = Date.now()): { usable: boolean; failures: ReadonlyMap<TokenFailure, number> } {
    const reading = this.loaded !== null && now - this.lookedAt < STATS_MAX_AGE_MS ? this.loaded : this.refresh();
    return { usable: reading.digest !== null, failures: this.failures };
  }

  /**
   * The token in effect, re-read when the file's identity, content, permissions or owner
   * changed (ctime moves with chmod and chown), and retried while it cannot be read.
   */
  refresh(): TokenReading {
    this.lookedAt = Date.now();
    if (this.file === undefined) return (this.loaded ??= { stamp: '', digest: null, failure: null, reason: null });
    let stamp: string;
    try {
      // stat follows the Secret's ..data symlink, so a rotation changes ino and mtime.
      const st = statSync(this.file);
      stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}:${st.uid}:${st.gid}`;
    } catch (err) {
      const failure = errorCode(err) === 'ENOENT' ? 'missing' : 'unreadable';
      return this.settle({ stamp: '', digest: null, failure, reason: `stat: ${errorCode(err)}` });
    }
    if (this.loaded && stamp === this.loaded.stamp && this.loaded.failure !== 'unreadable') return this.loaded;
    let token: string;
    try {
      token = readFileSync(this.file, 'utf8').trim();
    } catch (err) {
      return this.settle({ stamp, digest: null, failure: 'unreadable', reason: `read: ${errorCode(err)}` });
    }
    if (token === '') return this.settle({ stamp, digest: null, failure: 'empty', reason: 'the file is empty' });
    const reason = unusableTokenReason(token);
    if (reason !== null) return this.settle({ stamp, digest: null, failure: 'invalid', reason });
    return this.settle({ stamp, digest: sha256(token), failure: null, reason: null });
  }

  /** Takes a new reading; a change after the first one is logged, a failure also counted. */
  private settle(next: TokenReading): TokenReading {
    const previous = this.loaded;
    this.loaded = next;
    const changed = previous !== null && (previous.stamp !== next.stamp || previous.failure !== next.failure);
    if (!changed) return next;
    if (next.failure !== null) {
      this.failures.set(next.failure, (this.failures.get(next.failure) ?? 0) + 1);
      this.log?.error(
        { file: this.file, failure: next.failure, reason: next.reason },
        'the operator token file is not usable; every write is refused until it is fixed',
      );
    } else {
      this.log?.info({ file: this.file }, 'operator token reloaded');
    }
    return next;
  }

  /** Throws UnauthorizedError unless the Authorization header carries the current token. */
  verify(authorization: string | undefined): void {
    const expected = this.refresh().digest;
    if (authorization === undefined || authorization === '') {
      throw new UnauthorizedError('this operation needs the operator token as a bearer token', false);
    }
    const match = BEARER.exec(authorization);
    if (!match) throw new UnauthorizedError('the Authorization header is not of the form "Bearer <token>"', true);
    // Fail closed: with no usable token nothing matches.
    if (expected === null) {
      throw new UnauthorizedError(
        'no operator token is configured on this instance (or its file is not usable); writes are refused',
        true,
      );
    }
    // Comparing fixed-length digests keeps the comparison constant-time whatever the lengths.
    if (!timingSafeEqual(sha256(match[1]), expected)) {
      throw new UnauthorizedError('the bearer token is not valid', true);
    }
  }
}
