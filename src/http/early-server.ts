// The HTTP server is bound before anything else is loaded or opened, and holds the requests
// that arrive while the manager starts: after an in-place upgrade (exec) the port is back in
// tens of milliseconds, and a probe that connects during start-up is answered a little late
// instead of being refused. Requests are held in order, bounded, and answered by the real
// listener once it is attached; if start-up fails they get a 503.
//
// Under the launcher the socket is not bound here but inherited (`fd`): it has been
// listening all along, through the exec, and the connections made meanwhile are waiting in
// its backlog. A liveness probe among them can be answered before the manager is up
// (`answerEarly`), from the process table alone.
import {
  createServer,
  get,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemType } from '../errors.js';
import { ConnectionDrain } from './connection-drain.js';
import { ContextResponse } from './context-response.js';
import type { TlsTransport } from './tls.js';
import { settleUnreadBody } from './unread-body.js';

/** More waiting requests than this during start-up are answered 503 at once. */
const MAX_HELD = 1024;

export interface EarlyServer {
  server: Server;
  port: number;
  /** The certificate pair served when the API is HTTPS (src/http/tls.ts). */
  tls?: TlsTransport;
  /** Serve held and future requests with the real listener. */
  attach(listener: RequestListener): void;
  /** Start-up failed: answer the held requests with 503 and stop listening. */
  fail(): void;
  /** Stops accepting (at once) and waits for the accepted connections to end (see connection-drain.ts). */
  drain(maxMs?: number): Promise<void>;
  /** GET `path` from this server, over its own socket: the status, or 0 when none came. */
  request(path: string): Promise<number>;
}

export interface EarlyOptions {
  /** An inherited listening socket to serve on instead of binding one (see upgrade/launch.ts). */
  fd?: number;
  /** Answers a request before the real listener is attached, when it truthfully can; false holds it. */
  answerEarly?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Serve HTTPS with the pair (and client CA) this keeps current (src/http/tls.ts). */
  tls?: TlsTransport;
}

/** Where to reach a server bound to `address` from this host. */
export function loopbackFor(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

/** 503 with Retry-After: the manager is starting (or handing over to a new build). */
export function answerStarting(res: ServerResponse, detail: string): void {
  settleUnreadBody(res.req, res);
  const body = JSON.stringify({
    type: problemType('starting'),
    title: 'The manager is starting',
    status: 503,
    detail,
  });
  res.writeHead(503, {
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    'Retry-After': '1',
  });
  res.end(body);
}

type Https = typeof import('node:https');

/** Plain HTTP, or HTTPS with the pair (and client CA) that `tls` keeps current. */
function createHttpServer(
  listener: RequestListener,
  tls: { transport: TlsTransport; https: Https } | undefined,
): Server {
  if (!tls) return createServer({ ServerResponse: ContextResponse }, listener);
  const server = tls.https.createServer(
    { ...tls.transport.serverOptions(), ServerResponse: ContextResponse },
    listener,
  );
  tls.transport.serve(server);
  return server;
}

export async function listenEarly(
  listen: { host: string; port: number },
  options: EarlyOptions = {},
): Promise<EarlyServer> {
  let listener: RequestListener | undefined;
  let failed = false;
  const held: [IncomingMessage, ServerResponse][] = [];
  const dispatch: RequestListener = (req, res) => {
    connections.noteRequest(req, res);
    if (listener) return listener(req, res);
    if (!failed && options.answerEarly?.(req, res) === true) return;
    if (failed || held.length >= MAX_HELD)
      return answerStarting(res, failed ? 'the manager failed to start' : 'too many requests while starting');
    held.push([req, res]);
  };
  // node:https (and tls, crypto under it) only for HTTPS: this runs before the port is served.
  const tls = options.tls && { transport: options.tls, https: await import('node:https') };
  const server = createHttpServer(dispatch, tls);
  // A client that sends `Expect: 100-continue` gets its `100 Continue` only once the request
  // has passed every check that needs no body (unread-body.ts), never for one to be refused.
  server.on('checkContinue', dispatch);
  const connections = new ConnectionDrain(server);
  // Probes should not be held up by slow clients; the kubelet and Prometheus reconnect.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const where = options.fd !== undefined ? { fd: options.fd } : { port: listen.port, host: listen.host };
    server.listen(where, () => {
      server.off('error', reject);
      // Later errors (EMFILE on accept) must not crash the manager: Node retries accepting.
      server.on('error', (err) => process.emitWarning(`HTTP server error: ${err.message}`));
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    server,
    port: bound.port,
    tls: options.tls,
    attach(real) {
      listener = real;
      for (const [req, res] of held.splice(0)) real(req, res);
    },
    fail() {
      failed = true;
      for (const [, res] of held.splice(0)) answerStarting(res, 'the manager failed to start');
      server.close();
    },
    drain: (maxMs) => connections.drain(maxMs),
    request(path) {
      return new Promise((resolve) => {
        // Over HTTPS too: the socket is our own, so its certificate need not name the loopback.
        const request = tls ? tls.https.get : get;
        const req = request(
          {
            host: loopbackFor(bound.address),
            port: bound.port,
            path,
            agent: false,
            timeout: 5000,
            ...(tls ? { rejectUnauthorized: false } : {}),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.once('timeout', () => req.destroy());
        req.once('error', () => resolve(0));
      });
    },
  };
}
