// A request id for every request (taken from X-Request-Id when it is sane, so an operator
// can follow one call across logs) and one structured log line when the response is done.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestContext(log: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const requestId = given && SANE_ID.test(given) ? given : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        requestId,
        method: req.method,
        // The path only: query strings are not part of this API, and never secrets.
        path: req.path,
        operation: res.locals.operationId as string | undefined,
        status: res.statusCode,
        durationMs: Math.round(durationMs * 1000) / 1000,
      };
      if (res.statusCode >= 500) log.warn(line, 'request');
      else log.info(line, 'request');
    });
    next();
  };
}
