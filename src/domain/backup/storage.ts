// Object storage through the AWS SDK: the client (credentials from the SDK's default chain
// only: AWS_* environment, shared files, web identity; never argv), the key layout, the small
// requests (listing, small objects, deletes, multipart aborts), and storage errors turned into
// a short, secret-free reason. Data objects are uploaded by multipart-upload.ts.
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/config.js';
import { BackupFailure } from './backup-record.js';

/**
 * The S3 SDK, loaded on demand rather than at start (it is a third of the bundle): at the
 * first backup or restore, or a few seconds after start when storage is configured.
 */
export async function loadSdk() {
  return import('../../vendor/s3.js');
}

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

/** `<prefix>/`: the cluster's backups live under it (`` when the prefix is empty). */
export function clusterPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** `<prefix>/<id>/`: every object of one backup lives under it. */
export function backupPrefix(prefix: string, id: string): string {
  return `${clusterPrefix(prefix)}${id}/`;
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

export interface MultipartUpload {
  bucket: string;
  key: string;
  uploadId: string;
}

/** True when the upload is gone (aborted now, or already: NoSuchUpload). */
export async function abortMultipart(client: S3Client, upload: MultipartUpload): Promise<boolean> {
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

/** Deletes one object (deleting a missing key succeeds, as in S3); throws a BackupFailure. */
export async function deleteKey(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<void> {
  try {
    const { DeleteObjectCommand } = await loadSdk();
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  } catch (err) {
    throw storageFailure(err, `delete of ${key}`, bucket);
  }
}

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date | null;
}

/** At most this many listing pages (1000 keys each) are read; a larger prefix is "incomplete". */
const MAX_LIST_PAGES = 100;

/**
 * Every object under `prefix`, all pages; `complete` is false when there were more than
 * MAX_LIST_PAGES pages. Throws a BackupFailure when the storage cannot be listed.
 */
export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<{ objects: StoredObject[]; complete: boolean }> {
  const { ListObjectsV2Command } = await loadSdk();
  const objects: StoredObject[] = [];
  let token: string | undefined;
  try {
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const res = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        { abortSignal: signal },
      );
      for (const o of res.Contents ?? [])
        if (o.Key) objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? null });
      if (!res.IsTruncated || !res.NextContinuationToken) return { objects, complete: true };
      token = res.NextContinuationToken;
    }
  } catch (err) {
    throw storageFailure(err, `listing of s3://${bucket}/${prefix}`, bucket);
  }
  return { objects, complete: false };
}

/** The multipart uploads in progress under `prefix` (one page: enough for one backup's prefix). */
export async function listMultipartUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): Promise<MultipartUpload[]> {
  try {
    const { ListMultipartUploadsCommand } = await loadSdk();
    const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }), {
      abortSignal: signal,
    });
    return (res.Uploads ?? []).flatMap((u) =>
      u.Key && u.UploadId ? [{ bucket, key: u.Key, uploadId: u.UploadId }] : [],
    );
  } catch (err) {
    throw storageFailure(err, `listing of the multipart uploads under s3://${bucket}/${prefix}`, bucket);
  }
}

/**
 * A small object (metadata.json) read whole, or null when there is no such key. Larger than
 * `limit` bytes is an error: it is not what we are looking for.
 */
export async function readSmallObject(
  client: S3Client,
  bucket: string,
  key: string,
  limit: number,
  signal?: AbortSignal,
): Promise<Buffer | null> {
  let body: Readable;
  try {
    const { GetObjectCommand } = await loadSdk();
    body = (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }))
      .Body as Readable;
  } catch (err) {
    if ((err as SdkError).name === 'NoSuchKey') return null;
    throw storageFailure(err, `download of s3://${bucket}/${key}`, bucket);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new BackupFailure('storage_error', `s3://${bucket}/${key} is larger than ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    body.destroy();
    throw storageFailure(err, `download of s3://${bucket}/${key}`, bucket);
  }
  return Buffer.concat(chunks);
}
