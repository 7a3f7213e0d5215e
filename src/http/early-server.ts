// The HTTP server is bound before anything else is loaded or opened, and holds the requests
// that arrive while the manager starts: after an in-place upgrade (exec) the port is back in
// tens of milliseconds, and a probe that connects during start-up is answered a little late
// instead of being refused. Requests are held in order, bounded, and answered by the real
// listener once it is attached; if start-up fails they get a 503.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TlsTransport } from './tls.js';

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
}

function answerStarting(res: ServerResponse, detail: string): void {
  const body = JSON.stringify({
    type: 'https://redis-instance-manager.dev/problems/starting',
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

/** Plain HTTP, or HTTPS with the pair (and client CA) that `tls` keeps current. */
function createHttpServer(listener: RequestListener, tls: TlsTransport | undefined): Server {
  if (!tls) return createServer(listener);
  const server = createHttpsServer(tls.serverOptions(), listener);
  tls.serve(server);
  return server;
}

export async function listenEarly(listen: { host: string; port: number }, tls?: TlsTransport): Promise<EarlyServer> {
  let listener: RequestListener | undefined;
  let failed = false;
  const held: [IncomingMessage, ServerResponse][] = [];
  const server = createHttpServer((req, res) => {
    if (listener) return listener(req, res);
    if (failed || held.length >= MAX_HELD)
      return answerStarting(res, failed ? 'the manager failed to start' : 'too many requests while starting');
    held.push([req, res]);
  }, tls);
  // Probes should not be held up by slow clients; the kubelet and Prometheus reconnect.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      // Later errors (EMFILE on accept) must not crash the manager: Node retries accepting.
      server.on('error', (err) => process.emitWarning(`HTTP server error: ${err.message}`));
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    tls,
    attach(real) {
      listener = real;
      for (const [req, res] of held.splice(0)) real(req, res);
    },
    fail() {
      failed = true;
      for (const [, res] of held.splice(0)) answerStarting(res, 'the manager failed to start');
      server.close();
    },
  };
}
