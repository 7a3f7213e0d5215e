/// <reference types="node" />
// A fetch for managers that serve HTTPS with a private CA and want a client certificate.
//
// Node's global fetch takes no per-call TLS options: its `dispatcher` needs an undici Agent,
// which Node does not expose, and the `undici` package's Agent is only safe with that same
// package's fetch, whose current majors need Node >= 20.18.1 (this package promises 20.3). So
// a client created with `tls` options sends its requests through node:https, with one
// keep-alive https.Agent that holds the CA, the client certificate and key and the server
// name. node:https is imported on first use only: a client without `tls` never loads it, and
// the package still runs wherever fetch does.
import type { ReadableStream as WebReadable } from 'node:stream/web';

type Pem = string | Uint8Array;

export interface TlsOptions {
  /** PEM certificate(s) of the CA that signs the manager's certificate; replaces the system's CAs. */
  ca?: Pem | Pem[];
  /** PEM client certificate (chain), for managers run with --tls-client-ca-file. */
  cert?: Pem;
  /** PEM private key of `cert` (unencrypted). */
  key?: Pem;
  /**
   * The name the manager's certificate is checked against (and the SNI sent), for base URLs
   * that are pod IPs: e.g. the Service name the certificate was issued for.
   */
  serverName?: string;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** node:https and node:stream, loaded on first use, with the client's agent. */
async function loadTransport(tls: TlsOptions) {
  const [{ Agent, request }, { Readable, pipeline }] = await Promise.all([import('node:https'), import('node:stream')]);
  const toBuffer = (pem: Pem) => (typeof pem === 'string' ? pem : Buffer.from(pem));
  const agent = new Agent({
    keepAlive: true,
    ca: tls.ca === undefined ? undefined : Array.isArray(tls.ca) ? tls.ca.map(toBuffer) : toBuffer(tls.ca),
    cert: tls.cert === undefined ? undefined : toBuffer(tls.cert),
    key: tls.key === undefined ? undefined : toBuffer(tls.key),
    servername: tls.serverName,
  });
  return { agent, request, Readable, pipeline };
}

type Transport = Awaited<ReturnType<typeof loadTransport>>;

/** A fetch(request) over node:https with the given TLS settings. */
export function tlsFetch(tls: TlsOptions): (request: Request) => Promise<Response> {
  let transport: Promise<Transport> | undefined;
  return async (request) => send(await (transport ??= loadTransport(tls)), request);
}

function send({ agent, request: httpsRequest, Readable, pipeline }: Transport, request: Request): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const req = httpsRequest(request.url, { method: request.method, headers, agent, signal: request.signal });
    req.once('error', reject);
    req.once('response', (res) => {
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      const status = res.statusCode ?? 0;
      const empty = request.method === 'HEAD' || NULL_BODY_STATUSES.has(status);
      if (empty) res.resume();
      const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: res.statusMessage, headers: responseHeaders }));
    });
    if (request.body === null) {
      req.end();
      return;
    }
    // Streamed as it comes (an update's bundle is not copied); the request's errors reject above.
    pipeline(Readable.fromWeb(request.body as unknown as WebReadable<Uint8Array>), req, () => {});
  });
}
