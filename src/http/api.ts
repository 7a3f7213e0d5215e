// The full HTTP API: every request the fast path does not take (writes, reads with
// parameters, unknown paths) goes through express: the body gate, openapi-backend routing
// and validation, the operation handlers, and problem+json for every error. Operations
// without a handler answer 501 until they land. Built at the first such request, from the
// libraries app.ts loads then (src/vendor/http-api.ts).
import type { RequestListener } from 'node:http';
import { operatorCredentials } from '../auth/operator-credentials.js';
import type { Instance } from '../domain/instance.js';
import type { HttpApiLibraries } from '../vendor/http-api.js';
import { bodyGate } from './body-gate.js';
import { backupHandlers } from './handlers/backup.js';
import { replicationHandlers } from './handlers/replication.js';
import { updateHandlers } from './handlers/update.js';
import { asOperationHandler, createBackend, toBackendRequest, type PlainRead } from './openapi.js';
import { problemMiddleware } from './problem.js';

export async function createApi(
  libraries: HttpApiLibraries,
  instance: Instance,
  plainReads: Record<string, PlainRead>,
): Promise<RequestListener> {
  const api = createBackend(libraries, {
    ...Object.fromEntries(Object.entries(plainReads).map(([id, read]) => [id, asOperationHandler(read)])),
    ...backupHandlers(instance),
    ...updateHandlers(instance),
    ...replicationHandlers(instance),
  });
  await api.init();

  const app = libraries.express();
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
  app.use(problemMiddleware(instance.log.child({ module: 'http' })));
  return app;
}
