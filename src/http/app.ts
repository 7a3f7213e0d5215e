// The HTTP entry point. Every request gets a request id and a log line. Plain reads (probes,
// status, metrics: all that the kubelet and Prometheus send) take the fast path; everything
// else goes to the full API (api.ts: express, openapi-backend, the operation handlers).
//
// The full API's libraries are loaded at the first request that needs them, not at start:
// they are most of the manager's code, and an idle manager that is only probed and scraped
// never needs them (bench/README.md has the memory figures). This is the one place that
// decides it; requests that arrive while they load wait, in order.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Instance } from '../domain/instance.js';
import { compactSoon } from '../heap.js';
import { createApi } from './api.js';
import { createFastPath } from './fast-path.js';
import { metricsReads } from './handlers/metrics.js';
import { probeReads } from './handlers/probes.js';
import { statusReads } from './handlers/status.js';
import { answerError } from './problem.js';
import { requestTracker } from './request-context.js';
import { requestMetrics } from './request-metrics.js';

export async function createRequestListener(instance: Instance): Promise<RequestListener> {
  const log = instance.log.child({ module: 'http' });
  const plainReads = {
    ...probeReads(instance),
    ...statusReads(instance),
    ...metricsReads(instance),
  };
  let api: Promise<RequestListener> | undefined;
  const loadApi = () =>
    (api ??= import('../vendor/http-api.js').then(async (vendor) => {
      const app = await createApi(await vendor.load(), instance, plainReads);
      compactSoon();
      return app;
    }));

  const fastPath = createFastPath(plainReads);
  const observe = requestMetrics(instance.metrics.process);
  // A request line holds only what requestTracker puts in it (never a header, a body or a query
  // string), so it skips the redaction every other line goes through: that was a sixth of
  // what a probe allocated, and allocation is what the garbage collector is paid for.
  const track = requestTracker(log.child({}, { redact: [] }), observe);
  return (req: IncomingMessage, res: ServerResponse) => {
    track(req, res);
    const handled = fastPath(req, res) ?? loadApi().then((app) => app(req, res));
    handled.catch((err: unknown) => answerError(log, err, res, req.method));
  };
}
