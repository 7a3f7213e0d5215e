// GET /metrics: Prometheus's scrape. Always 200; Redis trouble shows as redis_up 0.
import type { Instance } from '../../domain/instance.js';
import { negotiateFormat } from '../../domain/metrics/exposition.js';
import type { OperationHandler } from '../openapi.js';

export function metricsHandlers(instance: Instance): Record<'getMetrics', OperationHandler> {
  return {
    async getMetrics(_c, req, res) {
      const { contentType, body } = await instance.metrics.exposition(negotiateFormat(req.get('accept')));
      res.status(200).type(contentType).send(body);
    },
  };
}
