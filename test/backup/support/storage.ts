// A real S3-compatible server for the backup tests: s3rver, served by our own HTTP server so
// that a test can take the storage down (and back up on the same port), cut it off in the
// middle of an upload, and see which requests were made. s3rver has no AbortMultipartUpload;
// this server answers it the way S3 does (deleting the pending parts), so that an abort can be
// checked for real: pendingUploads() lists what s3rver still holds. Nor has it
// ListMultipartUploads: answered here from s3rver's own upload directories, so the manager and
// the tests can use the real API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { freePort } from '../../helpers/ports.js';
import { tempDir } from '../../helpers/tmp.js';

/** s3rver's one account; the SDK's default chain reads these from the environment. */
export const S3_KEY = 'S3RVER';
export const BUCKET = 'backups';
process.env.AWS_ACCESS_KEY_ID ??= S3_KEY;
process.env.AWS_SECRET_ACCESS_KEY ??= S3_KEY;
process.env.AWS_EC2_METADATA_DISABLED = 'true';

export interface SeenRequest {
  method: string;
  url: string;
}

/**
 * Decides, per request, whether to let it through: 'cut' drops the connection, 'down' takes the
 * whole storage down, 'hold' keeps the request unanswered until releaseHeld().
 */
export type Fault = (req: IncomingMessage) => 'pass' | 'cut' | 'down' | 'hold';

export class TestStorage {
  readonly requests: SeenRequest[] = [];
  fault: Fault = () => 'pass';
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly held: IncomingMessage[] = [];

  private constructor(
    readonly port: number,
    readonly directory: string,
    private readonly s3rver: S3rver,
  ) {}

  static async start(): Promise<TestStorage> {
    const directory = await tempDir('im-s3-');
    const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false, configureBuckets: [{ name: BUCKET }] });
    await s3rver.configureBuckets();
    const storage = new TestStorage(await freePort(), directory, s3rver);
    await storage.up();
    return storage;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The manager's flags for this storage. */
  raw(prefix: string, bucket = BUCKET) {
    return {
      s3Endpoint: this.endpoint,
      s3Bucket: bucket,
      s3Prefix: prefix,
      s3Region: 'us-east-1',
      s3PathStyle: 'true',
    };
  }

  async up(): Promise<void> {
    if (this.server) return;
    const handler = this.s3rver.callback();
    const server = createServer((req, res) => this.handle(req, res, handler));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops every connection: the storage is gone. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private handle(
    req: IncomingMessage,
    res: ServerResponse,
    s3rver: (req: IncomingMessage, res: ServerResponse) => void,
  ): void {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const verdict = this.fault(req);
    if (verdict === 'cut') return void req.socket.destroy();
    if (verdict === 'down') {
      req.socket.destroy();
      void this.down();
      return;
    }
    if (verdict === 'hold') return void this.held.push(req);
    const url = new URL(req.url ?? '/', 'http://x');
    const uploadId = url.searchParams.get('uploadId');
    const bucket = url.pathname.split('/')[1] ?? '';
    if (req.method === 'DELETE' && uploadId) return void this.abortUpload(bucket, uploadId, res);
    if (
      req.method === 'GET' &&
      url.searchParams.has('uploads') &&
      url.pathname.replace(/\/$/, '').split('/').length === 2
    )
      return void this.listUploads(bucket, url.searchParams.get('prefix') ?? '', res);
    s3rver(req, res);
  }

  /** Requests held so far (by a 'hold' fault). */
  get heldRequests(): number {
    return this.held.length;
  }

  /** Drops the held requests' connections (the client sees a reset). */
  releaseHeld(): void {
    for (const req of this.held.splice(0)) req.socket.destroy();
  }

  private async listUploads(bucket: string, prefix: string, res: ServerResponse): Promise<void> {
    const uploads: { key: string; uploadId: string }[] = [];
    for (const uploadId of await this.pendingUploads(bucket)) {
      const key = await readFile(join(this.directory, bucket, '._S3rver_uploads', uploadId, 'key'), 'utf8').catch(
        () => null,
      );
      if (key !== null && key.startsWith(prefix)) uploads.push({ key, uploadId });
    }
    const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${xml(bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
      uploads
        .map(
          (u) =>
            `<Upload><Key>${xml(u.key)}</Key><UploadId>${u.uploadId}</UploadId><Initiated>${new Date().toISOString()}</Initiated></Upload>`,
        )
        .join('') +
      '</ListMultipartUploadsResult>';
    res.writeHead(200, { 'Content-Type': 'application/xml' }).end(body);
  }

  private async abortUpload(bucket: string, uploadId: string, res: ServerResponse): Promise<void> {
    if (!/^[0-9a-f]+$/.test(uploadId)) {
      res.writeHead(404).end();
      return;
    }
    // A part that s3rver is still writing (its client gone) can add a file while the
    // directory is removed: rm then fails with ENOTEMPTY, so it retries; and any failure is
    // answered, never left unanswered (the client would wait out its request timeout).
    try {
      await rm(join(this.directory, bucket, '._S3rver_uploads', uploadId), {
        recursive: true,
        force: true,
        maxRetries: 10,
        retryDelay: 20,
      });
      res.writeHead(204).end();
    } catch {
      res.writeHead(500).end();
    }
  }

  /** Multipart uploads s3rver still holds parts for (neither completed nor aborted). */
  async pendingUploads(bucket = BUCKET): Promise<string[]> {
    return readdir(join(this.directory, bucket, '._S3rver_uploads')).catch(() => []);
  }

  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3_KEY, secretAccessKey: S3_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Every key under a prefix. */
  async keys(prefix: string, bucket = BUCKET): Promise<string[]> {
    const client = this.client();
    try {
      const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    } finally {
      client.destroy();
    }
  }

  async get(key: string, bucket = BUCKET): Promise<Buffer> {
    const client = this.client();
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } finally {
      client.destroy();
    }
  }

  async put(key: string, body: Buffer | string, bucket = BUCKET): Promise<void> {
    const client = this.client();
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    } finally {
      client.destroy();
    }
  }

  /** The multipart uploads in progress under a prefix, through the S3 API (ListMultipartUploads). */
  async multipartUploads(prefix: string, bucket = BUCKET): Promise<string[]> {
    const client = this.client();
    try {
      const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
      return (res.Uploads ?? []).map((u) => u.Key!);
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    this.fault = () => 'pass';
    this.releaseHeld();
    await this.down();
  }
}

/** True for UploadPart requests (PUT …?partNumber=N&uploadId=…). */
export function isUploadPart(req: IncomingMessage): boolean {
  return req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '');
}
