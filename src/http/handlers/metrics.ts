// GET /metrics: Prometheus's scrape. Always 200; Redis trouble shows as redis_up 0.
import type { Instance } from '../../domain/instance.js';
import { negotiateFormat } from '../../domain/metrics/exposition.js';
import type { PlainRead } from '../openapi.js';
import { sendBody } from '../reply.js';

export function metricsReads(instance: Instance): Record<'getMetrics', PlainRead> {
  return {
    async getMetrics(req, res) {
      const { contentType, body } = await instance.metrics.exposition(negotiateFormat(req.headers.accept));
      sendBody(res, 200, contentType, body);
    },
  };
}
