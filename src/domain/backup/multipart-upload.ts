// Uploads one data object from a sequential source with our own multipart loop: a fixed pool
// of PARTS_IN_FLIGHT part buffers, each filled straight from the source (a positional read of
// the open RDB, or the AOF archive's stream), hashed, and sent as one UploadPart while the
// next is read. Memory is the pool and nothing else: no part is copied or concatenated, and
// a part the SDK retries is the same buffer sent again. The multipart upload's id is handed
// to `onCreated` before the first part is sent, so a manager killed mid-upload can abort it
// after its restart.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { messageOf } from '../../errors.js';
import { BackupFailure, type PendingUpload } from './backup-record.js';
import { abortMultipart, loadSdk, storageFailure, type PendingAborts } from './storage.js';

/**
 * Parts of 8 MiB, 4 in flight: the pool is 32 MiB, which bounds the upload's memory (measured
 * in bench/backup.ts); 4 in flight keeps a loopback or LAN link as busy as lib-storage's
 * defaults. Larger parts only past 70 GiB, to stay under S3's part limit.
 */
export const PART_SIZE = 8 * 1024 * 1024;
export const PARTS_IN_FLIGHT = 4;
/** S3 allows 10,000 parts; keep a margin. */
const MAX_PARTS = 9000;

/** Reading the saved data failed, or it did not have the size it was opened with. */
class SourceError extends Error {}

/** Where the bytes come from: each call fills `buffer` from the start with the next bytes. */
export interface PartSource {
  /** Resolves to the number of bytes written into `buffer`; less than its length only at the end. */
  fill(buffer: Buffer): Promise<number>;
}

/** A source over the first `size` bytes of an open file: positional reads into the part buffer. */
export function fileSource(handle: FileHandle, size: number): PartSource {
  let position = 0;
  return {
    async fill(buffer) {
      let filled = 0;
      while (filled < buffer.length && position < size) {
        const want = Math.min(buffer.length - filled, size - position);
        const { bytesRead } = await handle.read(buffer, filled, want, position);
        if (bytesRead === 0) break;
        filled += bytesRead;
        position += bytesRead;
      }
      return filled;
    },
  };
}

/** A source over a Readable (the AOF archive): chunks are copied into the part buffer. */
export function streamSource(stream: Readable): PartSource {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let rest: Buffer | null = null;
  let ended = false;
  return {
    async fill(buffer) {
      let filled = 0;
      while (filled < buffer.length) {
        if (!rest || rest.length === 0) {
          if (ended) break;
          const next = await chunks.next();
          if (next.done) {
            ended = true;
            break;
          }
          rest = next.value;
        }
        const n = rest.copy(buffer, filled);
        filled += n;
        rest = rest.subarray(n);
      }
      return filled;
    },
  };
}

export interface ObjectUpload {
  client: S3Client;
  bucket: string;
  key: string;
  source: PartSource;
  /** The exact number of bytes the source yields. */
  size: number;
  signal: AbortSignal;
  onProgress: (bytesUploaded: number) => void;
  /** Called with the multipart upload before its first part; awaited (the journal records it). */
  onCreated: (upload: PendingUpload) => Promise<void>;
  /** Where an upload that cannot be aborted now is left for a later attempt. */
  pendingAborts: PendingAborts;
}

/** Fills a part from the source; a read error is the snapshot's failure, not the storage's. */
async function fill(source: PartSource, buffer: Buffer): Promise<number> {
  try {
    return await source.fill(buffer);
  } catch (err) {
    throw new SourceError(`could not read the saved data: ${messageOf(err)}`);
  }
}

export function partSizeFor(size: number): number {
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS));
}

/**
 * Uploads `size` bytes from the source to one object; resolves to their sha256 (hex). Any
 * failure aborts the multipart upload (or leaves it in `pendingAborts` when the storage cannot
 * be told) and is thrown as a BackupFailure; no object appears.
 */
export async function uploadObject(request: ObjectUpload): Promise<string> {
  const partSize = partSizeFor(request.size);
  if (request.size <= partSize) return putWhole(request);
  const sdk = await loadSdk();
  const { client, bucket, key, signal } = request;
  let uploadId: string;
  try {
    const created = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), {
      abortSignal: signal,
    });
    if (!created.UploadId) throw new Error('the storage answered CreateMultipartUpload without an UploadId');
    uploadId = created.UploadId;
  } catch (err) {
    throw failure(err, signal, key, bucket);
  }
  const pending: PendingUpload = { key, uploadId };
  // Stops the parts in flight when one fails (or on shutdown).
  const stop = new AbortController();
  const stopOnAbort = () => stop.abort();
  signal.addEventListener('abort', stopOnAbort, { once: true });
  try {
    await request.onCreated(pending);
    const hash = createHash('sha256');
    const free: Buffer[] = Array.from({ length: PARTS_IN_FLIGHT }, () => Buffer.allocUnsafeSlow(partSize));
    const inFlight = new Set<Promise<void>>();
    const etags: string[] = [];
    // The first part that failed (an object, so the checks below are not narrowed away).
    const failed: { error: Error | null } = { error: null };
    let read = 0;
    let uploaded = 0;
    for (let partNumber = 1; read < request.size; partNumber++) {
      while (free.length === 0 || failed.error) {
        if (failed.error) throw failed.error;
        await Promise.race(inFlight);
      }
      if (stop.signal.aborted) throw new Error('aborted');
      const buffer = free.pop()!;
      const n = await fill(request.source, buffer.subarray(0, Math.min(partSize, request.size - read)));
      if (n === 0) throw new SourceError(`the saved data ended after ${read} of ${request.size} bytes`);
      read += n;
      const body = buffer.subarray(0, n);
      hash.update(body);
      const sent = client
        .send(
          new sdk.UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: n,
          }),
          { abortSignal: stop.signal },
        )
        .then((answer) => {
          if (!answer.ETag) throw new Error(`the storage answered part ${partNumber} without an ETag`);
          etags[partNumber - 1] = answer.ETag;
          uploaded += n;
          request.onProgress(uploaded);
        })
        .catch((err: unknown) => {
          failed.error ??= err instanceof Error ? err : new Error(messageOf(err));
          stop.abort();
        })
        .finally(() => {
          free.push(buffer);
          inFlight.delete(sent);
        });
      inFlight.add(sent);
    }
    await Promise.all(inFlight);
    if (failed.error) throw failed.error;
    // The source must have ended exactly at `size`: a longer file would be cut silently.
    if ((await fill(request.source, Buffer.alloc(1))) !== 0)
      throw new SourceError(`the saved data is longer than the ${request.size} bytes it was opened with`);
    await client.send(
      new sdk.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
      { abortSignal: signal },
    );
    return hash.digest('hex');
  } catch (err) {
    stop.abort();
    if (!(await abortMultipart(client, { bucket, ...pending }))) request.pendingAborts.add({ bucket, ...pending });
    throw failure(err, signal, key, bucket);
  } finally {
    signal.removeEventListener('abort', stopOnAbort);
  }
}

/** A data object of one part or less: one PutObject. */
async function putWhole(request: ObjectUpload): Promise<string> {
  const buffer = Buffer.alloc(request.size);
  let n: number;
  try {
    n = request.size === 0 ? 0 : await fill(request.source, buffer);
    if (n !== request.size || (await fill(request.source, Buffer.alloc(1))) !== 0)
      throw new SourceError(`the saved data changed size while it was read (${n} of ${request.size} bytes)`);
  } catch (err) {
    throw failure(err, request.signal, request.key, request.bucket);
  }
  try {
    const { PutObjectCommand } = await loadSdk();
    await request.client.send(
      new PutObjectCommand({ Bucket: request.bucket, Key: request.key, Body: buffer, ContentLength: n }),
      { abortSignal: request.signal },
    );
  } catch (err) {
    throw failure(err, request.signal, request.key, request.bucket);
  }
  request.onProgress(n);
  return createHash('sha256').update(buffer).digest('hex');
}

function failure(err: unknown, signal: AbortSignal, key: string, bucket: string): BackupFailure {
  if (signal.aborted)
    return new BackupFailure('shutdown', 'the manager shut down during the upload; the upload was aborted');
  if (err instanceof BackupFailure) return err;
  if (err instanceof SourceError) return new BackupFailure('snapshot_failed', err.message);
  return storageFailure(err, `upload of ${key}`, bucket);
}
