// Observes every request's duration (after the body gate has named its operation) into the manager's HTTP histogram, labelled with the
// contract's route template (`/v1/backups/{id}`), never the raw path: unknown paths share
// one label value, so a scanner cannot grow the series count.
import type { RequestHandler } from 'express';
import type { OpenAPIBackend } from 'openapi-backend';
import type { ProcessMetrics } from '../domain/metrics/process-metrics.js';

export function requestMetrics(api: OpenAPIBackend, metrics: ProcessMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const operationId = res.locals.operationId as string | undefined;
      const route = (operationId === undefined ? undefined : api.getOperation(operationId)?.path) ?? 'unmatched';
      const method = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD'].includes(req.method) ? req.method : 'OTHER';
      metrics.observeRequest(route, method, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
