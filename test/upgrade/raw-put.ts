// PUT /v1/update over a bare http.request, for what supertest cannot do: send a body in
// pieces, hold it half-sent, cut it off, or stream it without Content-Length. The response
// (when one comes) is checked against the contract like every other.
import { request, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import type { Response } from 'supertest';
import { assertMatchesContract } from '../helpers/contract.js';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** A problem document's fields, or the 202's (detail is '' there). */
  body: { status?: number; detail: string; version?: string; sha256?: string };
}

export interface RawUpload {
  req: ClientRequest;
  /** The answer, or null when the connection ended without one. */
  answer: Promise<RawAnswer | null>;
}

export function startPut(url: string, headers: Record<string, string | number>): RawUpload {
  const req = request(`${url}/v1/update`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
  });
  const answer = new Promise<RawAnswer | null>((resolve) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.once('end', () => {
        const body = (text === '' ? {} : JSON.parse(text)) as RawAnswer['body'];
        const answer = { status: res.statusCode!, headers: res.headers, body };
        assertMatchesContract('put', '/v1/update', {
          status: answer.status,
          headers: res.headers,
          body,
          text,
        } as unknown as Response);
        resolve(answer);
      });
    });
    // The server may stop reading a refused body and close: the answer, if any, came first.
    req.once('error', () => resolve(null));
  });
  return { req, answer };
}

/** Sends the whole body (in 64 KiB pieces) and returns the answer. */
export async function putRaw(
  url: string,
  headers: Record<string, string | number>,
  body: Uint8Array,
): Promise<RawAnswer | null> {
  const upload = startPut(url, headers);
  for (let i = 0; i < body.length; i += 65536) {
    if (!upload.req.write(body.subarray(i, i + 65536))) {
      const drained = await Promise.race([
        new Promise<boolean>((r) => upload.req.once('drain', () => r(true))),
        upload.answer.then(() => false),
      ]);
      if (!drained) break;
    }
  }
  upload.req.end();
  return upload.answer;
}

/**
 * The whole body through fetch (undici), which reads the answer while it is still sending:
 * a server that refuses an upload without reading it (401, 413 on Content-Length) closes
 * the connection, and Node's http client then reports EPIPE instead of the answer.
 */
export async function putFetch(url: string, headers: Record<string, string>, body: Uint8Array): Promise<RawAnswer> {
  const res = await fetch(`${url}/v1/update`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
    body: body as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  const body_ = (text === '' ? {} : JSON.parse(text)) as RawAnswer['body'];
  const headersObject = Object.fromEntries(res.headers.entries());
  assertMatchesContract('put', '/v1/update', {
    status: res.status,
    headers: headersObject,
    body: body_,
    text,
  } as unknown as Response);
  return { status: res.status, headers: headersObject, body: body_ };
}

/** The answer, when it has this status (the body's detail is shown otherwise). */
export function expectStatus(answer: RawAnswer, status: number): RawAnswer {
  if (answer.status !== status)
    throw new Error(`expected ${status}, got ${answer.status}: ${answer.body.detail || JSON.stringify(answer.body)}`);
  return answer;
}
