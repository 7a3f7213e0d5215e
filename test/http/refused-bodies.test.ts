// Bodies the manager refuses from their headers: a content coding (415), an unauthenticated
// sender (401) and a declared length over the JSON limit (413) are answered at once, without
// `100 Continue` and without reading the body: the connection is closed instead. Driven over
// raw sockets, where what the server reads and when it answers can be seen.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Response } from 'supertest';
import { api } from '../helpers/api.js';
import { assertMatchesContract } from '../helpers/contract.js';
import { auth, startTestManager, TEST_TOKEN, type TestManager } from '../helpers/manager.js';

interface RawResponse {
  /** Every interim (1xx) status line received before the final answer. */
  interim: string[];
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A connection that sends what it is told and collects what comes back. */
class RawClient {
  readonly socket: Socket;
  private received = '';
  /** Body bytes the kernel took from us before the server closed the connection. */
  bytesSent = 0;
  readonly closed: Promise<void>;
  private readonly waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1').on('data', (text: string) => {
      this.received += text;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends body bytes as fast as the connection takes them, until `limit` or until it closes. */
  async stream(limit: number): Promise<void> {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    while (this.bytesSent < limit && !this.socket.destroyed && this.socket.writable) {
      const taken = await new Promise<boolean>((resolve) =>
        this.socket.write(chunk, (err) => resolve(err === undefined || err === null)),
      );
      if (!taken) break;
      this.bytesSent += chunk.length;
    }
  }

  /** Waits for the next final answer (the head and a Content-Length body), or fails when the connection ends first. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.parse();
      if (parsed) {
        this.received = this.received.slice(parsed.consumed);
        return parsed.response;
      }
      if (this.socket.destroyed || this.socket.readableEnded)
        throw new Error(`closed without an answer: ${this.received}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private parse(): { response: RawResponse; consumed: number } | undefined {
    const interim: string[] = [];
    let rest = this.received;
    for (;;) {
      const end = rest.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      rest = rest.slice(end + 4);
      if (status < 200) {
        interim.push(statusLine);
        continue;
      }
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const length = Number(headers['content-length'] ?? 0);
      if (Buffer.byteLength(rest, 'latin1') < length) return undefined;
      const text = rest.slice(0, length);
      return {
        response: { interim, status, headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) },
        consumed: this.received.length - rest.length + length,
      };
    }
  }
}

function head(path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ Host: 'manager', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

function checked(path: string, res: RawResponse): RawResponse {
  assertMatchesContract('post', path, {
    status: res.status,
    headers: res.headers,
    body: res.body,
    text: JSON.stringify(res.body),
  } as unknown as Response);
  return res;
}

describe('refused bodies', () => {
  let m: TestManager;
  const logLines: string[] = [];
  const MiB = 1024 * 1024;
  before(async () => {
    m = await startTestManager({ logLines });
  });
  after(() => m.stop());

  it('a body in gzip, br or deflate: 415 naming the coding, with Accept-Encoding: identity; nothing logged as an error', async () => {
    const json = Buffer.from(JSON.stringify({ timeoutMs: 60_000 }));
    const encoded: [string, Buffer][] = [
      ['gzip', gzipSync(json)],
      ['br', brotliCompressSync(json)],
      ['deflate', deflateSync(json)],
      ['gzip', json], // not even gzip: still refused from the header, never inflated
    ];
    const before = logLines.length;
    for (const [coding, body] of encoded) {
      const res = await api(m)
        .post('/v1/fence')
        .set(auth())
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', coding)
        .send(body)
        .expect(415);
      assert.equal(res.headers['accept-encoding'], 'identity');
      assert.match(res.body.detail, new RegExp(`Content-Encoding ${coding} is not supported`));
    }
    const logged = logLines.slice(before).map((line) => JSON.parse(line) as { level: string; msg: string });
    assert.equal(logged.filter((line) => line.msg === 'request').length, encoded.length);
    assert.deepEqual(
      logged.filter((line) => line.level === 'error' || line.level === 'fatal' || line.msg !== 'request'),
      [],
    );
    // No fence was applied: writes still go through.
    assert.equal((await api(m).get('/v1/status').expect(200)).body.fenced, false);
  });

  it('an unauthenticated request declaring 500 MiB: 401 at once and the connection closed, the body not read', async () => {
    const client = await RawClient.open(m.port);
    const declared = 500 * MiB;
    client.send(head('/v1/demote', { 'Content-Type': 'application/json', 'Content-Length': declared }));
    const streaming = client.stream(declared);
    const res = checked('/v1/demote', await client.response());
    assert.equal(res.status, 401);
    assert.equal(res.headers.connection, 'close');
    await client.closed;
    await streaming;
    // What the kernel took on both ends before the close (socket buffers), not the 500 MiB.
    assert.ok(client.bytesSent < 32 * MiB, `${client.bytesSent} bytes were taken from the client`);
  });

  it('an unauthenticated request that expects 100-continue gets no 100, only its 401, and the connection closed', async () => {
    const client = await RawClient.open(m.port);
    client.send(
      head('/v1/demote', { 'Content-Type': 'application/json', 'Content-Length': 500 * MiB, Expect: '100-continue' }),
    );
    const res = checked('/v1/demote', await client.response());
    assert.deepEqual(res.interim, []);
    assert.equal(res.status, 401);
    assert.equal(res.headers.connection, 'close');
    await client.closed;
  });

  it('an authenticated request that expects 100-continue gets it, then its answer, and keeps its connection', async () => {
    const client = await RawClient.open(m.port);
    client.send(
      head('/v1/promote', {
        Authorization: `Bearer ${TEST_TOKEN}`,
        'Content-Type': 'application/json',
        'Content-Length': 2,
        Expect: '100-continue',
      }),
    );
    await new Promise<void>((resolve) => {
      const check = (text: string) => {
        if (!text.includes('100 Continue')) return;
        client.socket.off('data', check);
        resolve();
      };
      client.socket.on('data', check);
    });
    client.send('{}');
    const res = checked('/v1/promote', await client.response());
    assert.deepEqual(res.interim, ['HTTP/1.1 100 Continue']);
    assert.equal(res.status, 200);
    assert.notEqual(res.headers.connection, 'close');
    client.socket.destroy();
  });

  it('an authenticated request declaring 1 GB: 413 at once from the header, the connection closed', async () => {
    const client = await RawClient.open(m.port);
    // A few bytes of the body and then nothing: an answer that waited for the body would never come.
    client.send(
      head('/v1/demote', { ...auth(), 'Content-Type': 'application/json', 'Content-Length': 1024 * MiB }) +
        '{"primaryHost": "h',
    );
    const res = checked('/v1/demote', await client.response());
    assert.equal(res.status, 413);
    assert.match((res.body as { detail: string }).detail, /larger than the limit of 65536 bytes/);
    assert.equal(res.headers.connection, 'close');
    await client.closed;
  });

  it('a chunked body that passes the limit: 413 as soon as it does, the rest not awaited', async () => {
    const client = await RawClient.open(m.port);
    const piece = 'x'.repeat(128 * 1024);
    client.send(
      head('/v1/demote', { ...auth(), 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }) +
        `${piece.length.toString(16)}\r\n${piece}\r\n`,
    );
    const res = checked('/v1/demote', await client.response());
    assert.equal(res.status, 413);
    assert.equal(res.headers.connection, 'close');
    await client.closed;
  });

  it('a small refused body is read away after the answer: the connection serves the next request', async () => {
    const client = await RawClient.open(m.port);
    const body = JSON.stringify({ primaryHost: 'h' });
    client.send(head('/v1/demote', { 'Content-Type': 'application/json', 'Content-Length': body.length }) + body);
    const res = checked('/v1/demote', await client.response());
    assert.equal(res.status, 401);
    assert.notEqual(res.headers.connection, 'close');
    client.send('GET /healthz HTTP/1.1\r\nHost: manager\r\n\r\n');
    assert.equal((await client.response()).status, 200);
    client.socket.destroy();
  });
});
