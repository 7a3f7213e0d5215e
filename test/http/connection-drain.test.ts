// The drain before an exec (connection-drain.ts), against a real HTTP server and real
// sockets: a response in flight finishes, an idle keep-alive connection is let go at once, a
// connection that has not sent its request yet gets to send it, and the last responses say
// `Connection: close`. The drains below are given a minute: one that waited for a connection
// it should have let go would time the test out.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { ConnectionDrain } from '../../src/http/connection-drain.js';

const NEVER = 60_000;

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

async function startServer(slowMs: number): Promise<{ server: Server; drain: ConnectionDrain; port: number }> {
  const server = createServer((req, res) => {
    drain.noteRequest(req, res);
    const delay = req.url === '/slow' ? slowMs : 0;
    setTimeout(() => res.end(`answered ${req.url}`), delay);
  });
  const drain = new ConnectionDrain(server);
  // As the manager's (65 s): an idle connection goes because the drain lets it go, not
  // because Node's own keep-alive timeout (5 s) ends it.
  server.keepAliveTimeout = NEVER;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, drain, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string, agent: import('node:http').Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));

/** A raw connection, once the server has accepted it (not just once the kernel has queued it). */
async function accepted(server: Server, port: number): Promise<Socket> {
  const seen = once(server, 'connection');
  const socket = connect(port, '127.0.0.1');
  await Promise.all([seen, once(socket, 'connect')]);
  return socket;
}

describe('connection drain before an exec', function () {
  this.timeout(20_000);

  it('lets a response in flight finish, and the drain ends after it', async () => {
    const { server, drain, port } = await startServer(500);
    const agent = new (await import('node:http')).Agent({ keepAlive: true });
    try {
      const slow = get(port, '/slow', agent);
      await new Promise((resolve) => setTimeout(resolve, 100));
      let drained = false;
      const draining = drain.drain(NEVER).then(() => (drained = true));
      const answer = await slow;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'answered /slow');
      await draining;
      assert.equal(drained, true);
    } finally {
      agent.destroy();
      server.close();
    }
  });

  it('lets an idle keep-alive connection go at once, and stops accepting', async () => {
    const { server, drain, port } = await startServer(0);
    const agent = new (await import('node:http')).Agent({ keepAlive: true });
    try {
      const first = await get(port, '/fast', agent);
      assert.equal(first.connection, 'keep-alive');
      const [socket] = Object.values(agent.freeSockets).flat();
      assert.ok(socket, 'the keep-alive connection is kept by the client');
      const gone = closed(socket);
      await drain.drain(NEVER);
      await gone;
      await assert.rejects(get(port, '/fast', agent), /ECONNREFUSED/);
    } finally {
      agent.destroy();
      server.close();
    }
  });

  it('gives a connection accepted just before the drain time to send its request, and answers it', async () => {
    const { server, drain, port } = await startServer(0);
    const socket = await accepted(server, port);
    try {
      let reply = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (reply += chunk));
      const gone = closed(socket);
      // Accepted, nothing sent yet when the drain begins: it must not be cut before its
      // request comes (within FIRST_REQUEST_GRACE_MS of its accept).
      const draining = drain.drain(NEVER);
      socket.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
      await draining;
      await gone;
      assert.match(reply, /^HTTP\/1\.1 200 /);
      assert.match(reply, /\r\nConnection: close\r\n/i);
      assert.match(reply, /answered \/late$/);
    } finally {
      socket.destroy();
      server.close();
    }
  });

  it('cuts a connection that never sends its request', async () => {
    const { server, drain, port } = await startServer(0);
    const socket = await accepted(server, port);
    try {
      const gone = closed(socket);
      await drain.drain(NEVER);
      await gone;
      assert.equal(socket.bytesRead, 0);
    } finally {
      socket.destroy();
      server.close();
    }
  });
});
