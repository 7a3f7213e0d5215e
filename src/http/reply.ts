// Typed responses: the body a handler sends must be the one the contract declares for that
// operation and status, checked by the compiler against the generated types. Written with
// the plain Node response API so the fast path and express handlers share it.
import type { ServerResponse } from 'node:http';
import type { operations } from '../../generated/client/src/schema.js';
import { contextOf } from './request-context.js';
import { settleUnreadBody } from './unread-body.js';

export type OperationId = keyof operations;

type Responses<Op extends OperationId> = operations[Op]['responses'];

type JsonBody<Op extends OperationId, S extends keyof Responses<Op>> = Responses<Op>[S] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;

export function reply<Op extends OperationId, S extends keyof Responses<Op> & number>(
  res: ServerResponse,
  _operation: Op,
  status: S,
  body: JsonBody<Op, S>,
): void {
  sendBody(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/**
 * Sends a finished body of any media type (JSON, problem+json, Prometheus text). Every
 * response goes through here, so this is where a request body left unread is settled.
 */
export function sendBody(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  settleUnreadBody(res.req, res);
  // One writeHead with the headers as a list: when no header was set before (a probe, a
  // scrape), Node writes them as they are instead of keeping a header map first.
  res.writeHead(status, [
    'Content-Type',
    contentType,
    'Content-Length',
    String(Buffer.byteLength(body)),
    'X-Request-Id',
    contextOf(res).requestId,
  ]);
  res.end(body);
}
