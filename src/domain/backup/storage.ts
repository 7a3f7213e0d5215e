// Object storage through the AWS SDK: the client (credentials from the SDK's default chain
// only: AWS_* environment, shared files, web identity; never argv), the key layout, streamed
// multipart uploads, and storage errors turned into a short, secret-free reason.
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config.js';
import { BackupFailure } from './backup-record.js';

/**
 * The S3 SDK, loaded on demand rather than at start (it is a third of the bundle): at the
 * first backup or restore, or a few seconds after start when storage is configured.
 */
export async function loadSdk() {
  const [client, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
  return { ...client, Upload: storage.Upload };
}

/**
 * Parts of 5 MiB (S3's minimum; larger only past 45 GiB, to stay under the part limit), 2 in
 * flight. Memory does not grow with the file, but it is more than the parts: lib-storage
 * copies each part out of the stream's chunks (Buffer.concat), and V8 collects that external
 * garbage only after tens of MiB of it. Measured (bench/backup.ts): 4 in flight peaked near
 * +70 MiB over an idle manager, 2 in flight near +55 MiB at the same loopback throughput.
 */
const PART_SIZE_MIN = 5 * 1024 * 1024;
export const PARTS_IN_FLIGHT = 2;
/** S3 allows 10,000 parts; keep a margin. */
const MAX_PARTS = 9000;

export async function createS3Client(s3: S3Config): Promise<S3Client> {
  const { S3Client } = await loadSdk();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.pathStyle,
    // Our own sha256 covers the data end to end; the SDK's newer default checksums (CRC32
    // trailers, aws-chunked bodies) are not understood by every S3-compatible server.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    // Bounded: a storage that stops answering fails the backup instead of hanging it.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
}

/** `<prefix>/<id>/`: every object of one backup lives under it. */
export function backupPrefix(prefix: string, id: string): string {
  return `${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}${id}/`;
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(url);
  if (!m || m[1] === '') throw new Error(`${JSON.stringify(url)} is not an s3://bucket/key location`);
  return { bucket: m[1], key: m[2] };
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const DENIED = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);
const NETWORK =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up|TimeoutError|RequestTimeout/;

/** A short reason that names the kind of failure, never a credential. */
export function storageFailure(err: unknown, what: string, bucket: string): BackupFailure {
  if (err instanceof BackupFailure) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkError;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const http = status ? ` (HTTP ${status})` : '';
  if (name === 'NoSuchBucket')
    return new BackupFailure('storage_no_bucket', `${what}: bucket ${JSON.stringify(bucket)} does not exist`);
  if (DENIED.has(name) || status === 401 || status === 403) {
    return new BackupFailure(
      'storage_denied',
      `${what}: the storage refused the credentials or the access (${name}${http})`,
    );
  }
  if (NETWORK.test(`${name} ${e.code ?? ''} ${e.message ?? ''}`)) {
    return new BackupFailure('storage_unreachable', `${what}: the storage is not reachable (${e.code ?? name})`);
  }
  return new BackupFailure('storage_error', `${what}: ${name}${http}`);
}

/** Hashes what passes through (sha256), so the digest is of exactly the bytes uploaded. */
function hashing(): { transform: Transform; digest: () => string } {
  const hash = createHash('sha256');
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return { transform, digest: () => hash.digest('hex') };
}

export interface MultipartUpload {
  bucket: string;
  key: string;
  uploadId: string;
}

/** True when the upload is gone (aborted now, or already: NoSuchUpload). */
async function abortMultipart(client: S3Client, upload: MultipartUpload): Promise<boolean> {
  try {
    const { AbortMultipartUploadCommand } = await loadSdk();
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }),
    );
    return true;
  } catch (err) {
    return (err as SdkError).name === 'NoSuchUpload';
  }
}

/**
 * Multipart uploads that failed and could not be aborted (the storage was down): their parts
 * would stay in the bucket, billed and invisible. They are aborted again before the next
 * upload. (On AWS, also set a lifecycle rule AbortIncompleteMultipartUpload as a backstop.)
 */
export class PendingAborts {
  private readonly uploads: MultipartUpload[] = [];

  add(upload: MultipartUpload): void {
    this.uploads.push(upload);
  }

  get pending(): readonly MultipartUpload[] {
    return this.uploads;
  }

  async retry(client: S3Client): Promise<void> {
    for (const upload of [...this.uploads]) {
      if (await abortMultipart(client, upload)) this.uploads.splice(this.uploads.indexOf(upload), 1);
    }
  }
}

export interface UploadRequest {
  client: S3Client;
  bucket: string;
  key: string;
  body: Readable;
  size: number;
  onProgress: (bytesUploaded: number) => void;
  signal: AbortSignal;
  /** Where an upload that cannot be aborted now is left for a later attempt. */
  pendingAborts: PendingAborts;
}

/**
 * Streams `body` to one object: multipart for anything over one part, with at most
 * PARTS_IN_FLIGHT parts in memory. On failure lib-storage aborts the multipart upload, so no
 * object appears; the error is re-thrown as a BackupFailure. Resolves to the sha256.
 */
export async function uploadObject(request: UploadRequest): Promise<string> {
  const { transform, digest } = hashing();
  const body = request.body.pipe(transform);
  request.body.once('error', (err) => transform.destroy(err));
  const { Upload } = await loadSdk();
  const upload = new Upload({
    client: request.client,
    params: { Bucket: request.bucket, Key: request.key, Body: body, ContentLength: request.size },
    partSize: Math.max(PART_SIZE_MIN, Math.ceil(request.size / MAX_PARTS)),
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  upload.on('httpUploadProgress', (p) => {
    if (typeof p.loaded === 'number') request.onProgress(p.loaded);
  });
  const onAbort = () => void upload.abort();
  request.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await upload.done();
    return digest();
  } catch (err) {
    // lib-storage aborts on failure, but not when the abort itself fails; make sure.
    if (upload.uploadId) {
      const started = { bucket: request.bucket, key: request.key, uploadId: upload.uploadId };
      if (!(await abortMultipart(request.client, started))) request.pendingAborts.add(started);
    }
    if (request.signal.aborted)
      throw new BackupFailure('shutdown', 'the manager shut down during the upload; the upload was aborted');
    throw storageFailure(err, `upload of ${request.key}`, request.bucket);
  } finally {
    request.signal.removeEventListener('abort', onAbort);
    request.body.destroy();
    transform.destroy();
  }
}

export async function putSmallObject(
  client: S3Client,
  bucket: string,
  key: string,
  body: string,
  signal: AbortSignal,
): Promise<void> {
  try {
    const { PutObjectCommand } = await loadSdk();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }), {
      abortSignal: signal,
    });
  } catch (err) {
    throw storageFailure(err, `upload of ${key}`, bucket);
  }
}

/** Best effort: used to take back a data object whose metadata could not be written. */
export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    const { DeleteObjectCommand } = await loadSdk();
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}
