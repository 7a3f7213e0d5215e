// The HTTP application: request context, the body gate, openapi-backend routing to the
// operation handlers, and problem+json for every error. Operations without a handler
// answer 501 until their issue lands.
import express, { type Express } from 'express';
import type { Instance } from '../domain/instance.js';
import { bodyGate } from './body-gate.js';
import { probeHandlers } from './handlers/probes.js';
import { replicationHandlers } from './handlers/replication.js';
import { statusHandlers } from './handlers/status.js';
import { createBackend, toBackendRequest } from './openapi.js';
import { problemMiddleware } from './problem.js';
import { requestContext } from './request-context.js';

export async function createApp(instance: Instance): Promise<Express> {
  const log = instance.log.child({ module: 'http' });
  const api = createBackend({
    ...probeHandlers(instance),
    ...statusHandlers(instance),
    ...replicationHandlers(instance),
  });
  await api.init();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(log));
  app.use(bodyGate(api, instance.tokens, instance.config.jsonBodyLimitBytes));
  app.use(async (req, res) => {
    await api.handleRequest(toBackendRequest(req), req, res);
  });
  app.use(problemMiddleware(log));
  return app;
}
