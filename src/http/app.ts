// The HTTP entry point. Every request gets a request id and a log line; plain reads
// (probes, status, metrics) take the fast path; everything else goes through express: the
// body gate, openapi-backend routing and validation, the operation handlers, and
// problem+json for every error. Operations without a handler answer 501 until they land.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import { operatorCredentials } from '../auth/operator-credentials.js';
import type { Instance } from '../domain/instance.js';
import { bodyGate } from './body-gate.js';
import { createFastPath } from './fast-path.js';
import { backupHandlers } from './handlers/backup.js';
import { metricsReads } from './handlers/metrics.js';
import { probeReads } from './handlers/probes.js';
import { replicationHandlers } from './handlers/replication.js';
import { statusReads } from './handlers/status.js';
import { updateHandlers } from './handlers/update.js';
import { asOperationHandler, createBackend, toBackendRequest, type PlainRead } from './openapi.js';
import { answerError, problemMiddleware } from './problem.js';
import { beginRequest } from './request-context.js';
import { requestMetrics } from './request-metrics.js';

export async function createRequestListener(instance: Instance): Promise<RequestListener> {
  const log = instance.log.child({ module: 'http' });
  const plainReads: Record<string, PlainRead> = {
    ...probeReads(instance),
    ...statusReads(instance),
    ...metricsReads(instance),
  };
  const api = createBackend({
    ...Object.fromEntries(Object.entries(plainReads).map(([id, read]) => [id, asOperationHandler(read)])),
    ...backupHandlers(instance),
    ...updateHandlers(instance),
    ...replicationHandlers(instance),
  });
  await api.init();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(
    bodyGate(api, {
      authenticate: operatorCredentials({
        tokens: instance.tokens,
        tokenConfigured: instance.config.tokenFile !== undefined,
        clientCertificates: instance.config.tls?.clientCaFile ? { name: instance.config.tls.clientName } : undefined,
      }),
      jsonLimitBytes: instance.config.jsonBodyLimitBytes,
      assertAcceptingWrites: () => instance.assertAcceptingWrites(),
    }),
  );
  app.use(async (req, res) => {
    await api.handleRequest(toBackendRequest(req), req, res);
  });
  app.use(problemMiddleware(log));

  const fastPath = createFastPath(plainReads);
  const observe = requestMetrics(instance.metrics.process);
  return (req: IncomingMessage, res: ServerResponse) => {
    beginRequest(log, req, res, observe);
    const handled = fastPath(req, res);
    if (handled) handled.catch((err: unknown) => answerError(log, err, res, req.method));
    else app(req, res);
  };
}
