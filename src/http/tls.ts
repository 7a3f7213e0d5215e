// HTTPS for the API (--tls-cert-file, --tls-key-file, optionally --tls-client-ca-file): the
// files are read and checked at start, where a missing, unreadable, invalid, mismatched or
// expired pair stops the manager with a message naming the file and the reason; afterwards
// they are watched, and a new pair is handed to the running server with setSecureContext():
// connections already open keep the pair they were made with, new handshakes get the new one,
// nothing is closed, so no request fails during the swap. (Node's SNICallback would not do:
// it only runs for clients that send a server name, and the operator calls pod IPs.) Files
// that fail the checks at reload are not served: the previous pair stays, the reason is
// logged, counted in instance_manager_tls_certificate_reload_failures_total and shown in
// /v1/status.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { TlsConfig } from '../config/config.js';
import type { Schemas } from '../contract.js';
import type { Family } from '../domain/metrics/exposition.js';
import { ConfigError, messageOf } from '../errors.js';

/** Why files cannot be served; also the `reason` label of the failure counter. */
export type TlsFailureReason = 'missing' | 'unreadable' | 'invalid' | 'mismatch' | 'expired';
export const TLS_FAILURE_REASONS: readonly TlsFailureReason[] = [
  'missing',
  'unreadable',
  'invalid',
  'mismatch',
  'expired',
];

export const TLS_METRIC_NAMES = {
  expiry: 'instance_manager_tls_certificate_expiry_timestamp_seconds',
  reloads: 'instance_manager_tls_certificate_reloads_total',
  failures: 'instance_manager_tls_certificate_reload_failures_total',
  lastReloadOk: 'instance_manager_tls_certificate_last_reload_successful',
} as const;

/** How often the files are looked at (one stat each). */
const POLL_MS = 1000;
/** Below this much validity left, the start logs a warning. */
const EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

/** A file that cannot be used; at start it is a configuration error (exit 2). */
export class TlsFileError extends ConfigError {
  constructor(
    readonly flag: string,
    readonly file: string,
    readonly reason: TlsFailureReason,
    detail: string,
  ) {
    super(`${flag} ${file}: ${detail}`);
  }
}

/** What handshakes are made with, checked. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  /** The first certificate of the cert file: the one the server presents. */
  leaf: X509Certificate;
}

type Contents = Omit<TlsMaterial, 'leaf'>;

interface TlsFile {
  flag: string;
  file: string;
}

interface TlsFiles {
  cert: TlsFile;
  key: TlsFile;
  ca: TlsFile | undefined;
}

function filesOf(config: TlsConfig): TlsFiles {
  return {
    cert: { flag: '--tls-cert-file', file: config.certFile },
    key: { flag: '--tls-key-file', file: config.keyFile },
    ca: config.clientCaFile === undefined ? undefined : { flag: '--tls-client-ca-file', file: config.clientCaFile },
  };
}

function listOf(files: TlsFiles): TlsFile[] {
  return files.ca ? [files.cert, files.key, files.ca] : [files.cert, files.key];
}

function readError(spec: TlsFile, err: unknown): TlsFileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new TlsFileError(spec.flag, spec.file, 'missing', 'no such file');
  return new TlsFileError(spec.flag, spec.file, 'unreadable', `cannot be read (${code ?? messageOf(err)})`);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parseCertificates(spec: TlsFile, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new TlsFileError(spec.flag, spec.file, 'invalid', 'holds no PEM certificate');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new TlsFileError(
        spec.flag,
        spec.file,
        'invalid',
        `certificate ${i + 1} cannot be parsed (${messageOf(err)})`,
      );
    }
  });
}

function contextOptions(contents: Contents): SecureContextOptions {
  return { cert: contents.cert, key: contents.key, ...(contents.ca ? { ca: contents.ca } : {}), minVersion: 'TLSv1.2' };
}

/**
 * Checks what the files hold, together: a PEM certificate (chain) whose first certificate
 * has not expired, an unencrypted private key that belongs to it, a parseable CA bundle, and
 * that OpenSSL accepts them as one context. Pure apart from the clock, which is a parameter.
 */
export function checkMaterial(config: TlsConfig, contents: Contents, now: Date): TlsMaterial {
  const files = filesOf(config);
  const [leaf] = parseCertificates(files.cert, contents.cert);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new TlsFileError(
      files.cert.flag,
      files.cert.file,
      'expired',
      `the certificate expired on ${notAfter.toISOString()}`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(contents.key);
  } catch (err) {
    throw new TlsFileError(
      files.key.flag,
      files.key.file,
      'invalid',
      `not a usable unencrypted PEM private key (${messageOf(err)})`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsFileError(
      files.key.flag,
      files.key.file,
      'mismatch',
      `the private key does not match the certificate in ${files.cert.file}`,
    );
  }
  if (files.ca && contents.ca) parseCertificates(files.ca, contents.ca);
  try {
    createSecureContext(contextOptions(contents));
  } catch (err) {
    throw new TlsFileError(files.cert.flag, files.cert.file, 'invalid', `OpenSSL refuses it (${messageOf(err)})`);
  }
  return { ...contents, leaf };
}

/** Identity of one file's current version: a Secret rotation swaps a symlink (new inode). */
function stampOf(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

async function stampFiles(files: readonly TlsFile[]): Promise<string> {
  const parts = await Promise.all(
    files.map(({ file }) => stat(file).then(stampOf, (err: NodeJS.ErrnoException) => `error:${err.code ?? '?'}`)),
  );
  return parts.join('|');
}

function stampFilesSync(files: readonly TlsFile[]): string {
  return files
    .map(({ file }) => {
      try {
        return stampOf(statSync(file));
      } catch (err) {
        return `error:${(err as NodeJS.ErrnoException).code ?? '?'}`;
      }
    })
    .join('|');
}

async function readContents(files: TlsFiles): Promise<Contents> {
  const read = (spec: TlsFile) =>
    readFile(spec.file).catch((err: unknown) => {
      throw readError(spec, err);
    });
  const [cert, key, ca] = await Promise.all([read(files.cert), read(files.key), files.ca && read(files.ca)]);
  return { cert, key, ca: ca || undefined };
}

function readContentsSync(files: TlsFiles): Contents {
  const read = (spec: TlsFile) => {
    try {
      return readFileSync(spec.file);
    } catch (err) {
      throw readError(spec, err);
    }
  };
  return { cert: read(files.cert), key: read(files.key), ca: files.ca && read(files.ca) };
}

export type ManagerTls = Schemas['ManagerTls'];

/** The pair a server presents, kept current with the files. */
export class TlsTransport {
  private readonly files: TlsFiles;
  private readonly servers: TlsServer[] = [];
  private log: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Stamp of the files served now, and of files that failed (not retried until they change). */
  private servedStamp: string;
  private failedStamp: string | undefined;
  /** A change seen at the last poll: loaded at the next one if nothing moved in between. */
  private pendingStamp: string | undefined;
  private reloadFailure: TlsFileError | null = null;
  private reloads = 0;
  private readonly failures = new Map<TlsFailureReason, number>(TLS_FAILURE_REASONS.map((r) => [r, 0]));

  private constructor(
    private readonly config: TlsConfig,
    private material: TlsMaterial,
    stamp: string,
  ) {
    this.files = filesOf(config);
    this.servedStamp = stamp;
  }

  /** Reads and checks the files at start; throws TlsFileError (a ConfigError) naming the file and the reason. */
  static load(config: TlsConfig, now = new Date()): TlsTransport {
    const files = filesOf(config);
    // Stamped before reading: a change made while we read is seen as a change at the first poll.
    const stamp = stampFilesSync(listOf(files));
    return new TlsTransport(config, checkMaterial(config, readContentsSync(files), now), stamp);
  }

  /** Writes need a client certificate (--tls-client-ca-file). */
  get clientCertificates(): boolean {
    return this.config.clientCaFile !== undefined;
  }

  /** Options for https.createServer. */
  serverOptions(): TlsOptions {
    return {
      ...contextOptions(this.material),
      // With a client CA, every handshake asks for a certificate but none is required: reads
      // (probes, metrics, status) come without one. The body gate refuses writes that lack a
      // verified certificate (src/auth/client-certificate.ts).
      requestCert: this.clientCertificates,
      rejectUnauthorized: false,
      // A client that connects and never finishes the handshake is dropped as soon as one
      // that never finishes its headers would be (early-server.ts: headersTimeout).
      handshakeTimeout: 10_000,
    };
  }

  /** A server to give new pairs to. */
  serve(server: TlsServer): void {
    this.servers.push(server);
    server.once('close', () => {
      const at = this.servers.indexOf(server);
      if (at >= 0) this.servers.splice(at, 1);
    });
  }

  /** Starts watching the files; stops by itself once every server it serves has closed. */
  watch(log: Logger): void {
    this.log = log;
    const notAfter = new Date(this.material.leaf.validTo);
    const details = { subject: this.material.leaf.subject, serialNumber: this.material.leaf.serialNumber, notAfter };
    if (notAfter.getTime() - Date.now() < EXPIRY_WARNING_MS)
      log.warn(details, 'the TLS certificate expires within 7 days');
    log.info({ ...details, clientCertificates: this.clientCertificates }, 'serving HTTPS');
    if (this.timer) return;
    const tick = () => {
      this.timer = undefined;
      if (this.servers.length === 0) return;
      void this.poll().finally(() => {
        if (this.servers.length > 0 && this.log) this.timer = setTimeout(tick, POLL_MS).unref();
      });
    };
    this.timer = setTimeout(tick, POLL_MS).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.log = undefined;
  }

  /**
   * One look at the files. A change is loaded only once it has held still for one poll, so
   * a pair being copied in file by file is not caught half-written; files that failed are
   * not retried until they change again.
   */
  async poll(now = new Date()): Promise<void> {
    const stamp = await stampFiles(listOf(this.files));
    if (stamp === this.servedStamp) {
      // Back to what is served (a bad change undone): nothing is wrong any more.
      this.pendingStamp = undefined;
      this.reloadFailure = null;
      return;
    }
    if (stamp === this.failedStamp) return;
    if (stamp !== this.pendingStamp) {
      this.pendingStamp = stamp;
      return;
    }
    this.pendingStamp = undefined;
    try {
      const material = checkMaterial(this.config, await readContents(this.files), now);
      for (const server of this.servers) server.setSecureContext(contextOptions(material));
      this.material = material;
      this.servedStamp = stamp;
      this.failedStamp = undefined;
      this.reloadFailure = null;
      this.reloads++;
      this.log?.info(
        {
          subject: material.leaf.subject,
          serialNumber: material.leaf.serialNumber,
          notAfter: new Date(material.leaf.validTo),
        },
        'TLS certificate reloaded: new connections get the new certificate',
      );
    } catch (err) {
      const failure =
        err instanceof TlsFileError
          ? err
          : new TlsFileError(this.files.cert.flag, this.files.cert.file, 'invalid', messageOf(err));
      this.failedStamp = stamp;
      this.reloadFailure = failure;
      this.failures.set(failure.reason, (this.failures.get(failure.reason) ?? 0) + 1);
      this.log?.warn(
        { file: failure.file, reason: failure.reason, detail: failure.message },
        'TLS files changed but cannot be served; still serving the previous certificate',
      );
    }
  }

  /** /v1/status.manager.tls */
  status(): ManagerTls {
    const { leaf } = this.material;
    return {
      enabled: true,
      clientCertificates: this.clientCertificates,
      certificate: {
        subject: leaf.subject.replace(/\n/g, ', '),
        serialNumber: leaf.serialNumber,
        notBefore: new Date(leaf.validFrom).toISOString(),
        notAfter: new Date(leaf.validTo).toISOString(),
        fingerprintSha256: leaf.fingerprint256,
      },
      reloadError: this.reloadFailure?.message ?? null,
    };
  }

  /** For /metrics, read at every scrape. */
  families(): Family[] {
    return [
      {
        name: TLS_METRIC_NAMES.expiry,
        type: 'gauge',
        help: 'When the certificate served to new HTTPS connections expires, in unix seconds.',
        samples: [{ value: new Date(this.material.leaf.validTo).getTime() / 1000 }],
      },
      {
        name: TLS_METRIC_NAMES.reloads,
        type: 'counter',
        help: 'Times a changed certificate/key pair was loaded and served to new connections.',
        samples: [{ value: this.reloads }],
      },
      {
        name: TLS_METRIC_NAMES.failures,
        type: 'counter',
        help: 'Changed TLS files that could not be served (the previous pair was kept), by reason: missing, unreadable, invalid, mismatch, expired.',
        samples: TLS_FAILURE_REASONS.map((reason) => ({ labels: { reason }, value: this.failures.get(reason) ?? 0 })),
      },
      {
        name: TLS_METRIC_NAMES.lastReloadOk,
        type: 'gauge',
        help: '1 when the TLS files on disk are the ones served; 0 when they changed and cannot be served (the previous pair is kept).',
        samples: [{ value: this.reloadFailure ? 0 : 1 }],
      },
    ];
  }
}
