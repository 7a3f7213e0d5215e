// The full HTTP API: every request the fast path does not take (writes, reads with
// parameters, unknown paths) goes through express: the body gate, openapi-backend routing
// and validation, the operation handlers, and problem+json for every error. Every operation
// of the contract has a handler (an operation without one does not compile). Built at the
// first such request, from the libraries app.ts loads then (src/vendor/http-api.ts).
import type { RequestListener } from 'node:http';
import { operatorCredentials } from '../auth/operator-credentials.js';
import type { Instance } from '../domain/instance.js';
import type { HttpApiLibraries } from '../vendor/http-api.js';
import { bodyGate } from './body-gate.js';
import { backupHandlers } from './handlers/backup.js';
import { replicationHandlers } from './handlers/replication.js';
import { updateHandlers } from './handlers/update.js';
import {
  asOperationHandler,
  createBackend,
  toBackendRequest,
  type OperationHandler,
  type PlainRead,
} from './openapi.js';
import type { OperationId } from './reply.js';
import { problemMiddleware } from './problem.js';

/** The reads the fast path serves; the full API serves them too, when they have parameters. */
type PlainReads = Record<'getHealthz' | 'getReadyz' | 'getStatus' | 'getMetrics', PlainRead>;

export async function createApi(
  libraries: HttpApiLibraries,
  instance: Instance,
  plainReads: PlainReads,
): Promise<RequestListener> {
  const handlers = {
    getHealthz: asOperationHandler(plainReads.getHealthz),
    getReadyz: asOperationHandler(plainReads.getReadyz),
    getStatus: asOperationHandler(plainReads.getStatus),
    getMetrics: asOperationHandler(plainReads.getMetrics),
    ...backupHandlers(instance),
    ...updateHandlers(instance),
    ...replicationHandlers(instance),
  } satisfies Record<OperationId, OperationHandler>;
  const api = createBackend(libraries, handlers);
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
      binaryLimitBytes: instance.config.updateMaxBytes,
      assertAcceptingWrites: () => instance.assertAcceptingWrites(),
    }),
  );
  app.use(async (req, res) => {
    await api.handleRequest(toBackendRequest(req), req, res);
  });
  app.use(problemMiddleware(instance.log.child({ module: 'http' })));
  return app;
}
