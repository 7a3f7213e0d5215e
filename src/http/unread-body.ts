// A request answered without its body being read (refused by the body gate with 401, 413,
// 415 or 503, routed nowhere with 404 or 405, or sent to an operation that takes no body)
// must not have that body read after all. Left alone, Node reads whatever is left after the
// answer to keep the connection for a next request: a refused request declaring 500 MiB
// would be read to its end. sendBody (reply.ts), which writes every response, applies
// settleUnreadBody first:
//   - nothing left to read: nothing to do;
//   - the client waits for a `100 Continue` that was never sent: it has not sent its body and
//     may never send it, so the connection cannot carry a next request: close;
//   - reading began and stopped part-way (a limit was hit): close;
//   - a declared rest of at most READ_AWAY_BYTES (what one accepted request costs) is read
//     away after the answer: a client still sending sees the answer, not a reset, and keeps
//     its connection. A handler may allow more for its own refusals (allowReadAway);
//   - anything else (larger, or of unknown length): `Connection: close`, and Node closes the
//     connection once the answer is out, without reading further.
// `100 Continue` goes out only through admitBody, once a request has passed every check that
// needs no body; the server hands 'checkContinue' to the normal listener (early-server.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A refused body up to this size is read away after the answer instead of closing. */
export const READ_AWAY_BYTES = 64 * 1024;

const continued = new WeakSet<ServerResponse>();
const readAwayLimit = new WeakMap<ServerResponse, number>();

/** The declared Content-Length, when there is a sane one. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Does the request carry a body (a positive Content-Length, or a chunked one)? */
export function hasBody(req: IncomingMessage): boolean {
  const length = declaredLength(req);
  if (length !== undefined) return length > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

function expectsContinue(req: IncomingMessage): boolean {
  return (req.headers.expect ?? '').toLowerCase() === '100-continue';
}

/** The body is about to be read: tell a client that waits for it to send the body now. */
export function admitBody(req: IncomingMessage, res: ServerResponse): void {
  if (!expectsContinue(req) || continued.has(res) || res.headersSent) return;
  continued.add(res);
  res.writeContinue();
}

/** Lets this response read away up to `bytes` of a body it refuses (instead of READ_AWAY_BYTES). */
export function allowReadAway(res: ServerResponse, bytes: number): void {
  readAwayLimit.set(res, bytes);
}

/** Before a response is written: close the connection rather than read an unread body. */
export function settleUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent || req.complete || !hasBody(req)) return;
  const declared = declaredLength(req);
  const readAway =
    !(expectsContinue(req) && !continued.has(res)) &&
    !req.readableDidRead &&
    declared !== undefined &&
    declared <= (readAwayLimit.get(res) ?? READ_AWAY_BYTES);
  if (!readAway) res.setHeader('Connection', 'close');
}
