// The manager's HTTP histogram (src/domain/metrics/http-histogram.ts) exposes what prom-client's
// Histogram exposed before it, to the byte: the same observations through both, rendered.
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { renderText, type Format } from '../../src/domain/metrics/exposition.js';
import { HttpHistogram } from '../../src/domain/metrics/http-histogram.js';
import { HTTP_BUCKETS, registryFamilies } from '../../src/domain/metrics/process-metrics.js';

const NAME = 'test_http_request_duration_seconds';
const HELP = 'Duration of test requests.';

function both() {
  const registry = new Registry();
  const reference = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['route', 'method', 'status'],
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const ours = new HttpHistogram(NAME, HELP, HTTP_BUCKETS);
  return {
    observe(route: string, method: string, status: number, seconds: number) {
      reference.observe({ route, method, status: String(status) }, seconds);
      ours.observe(route, method, status, seconds);
    },
    async texts(format: Format) {
      return {
        expected: renderText(await registryFamilies(registry), format),
        actual: renderText([ours.family()], format),
      };
    },
  };
}

describe('HTTP histogram', () => {
  it('exposes nothing before the first observation, as prom-client does', async () => {
    const { expected, actual } = await both().texts('prometheus');
    assert.equal(actual, expected);
  });

  // Values on and around the bounds, above the last, fractions whose sums round.
  const values = [0, 1e-9, 0.0005, 0.00051, 0.005, 0.1 + 0.2, 1, 2.5, 7.3, 10, 10.000001, 11.5, 300];
  for (const format of ['prometheus', 'openmetrics'] as const) {
    it(`renders series, buckets, sums and counts as prom-client does (${format})`, async () => {
      const h = both();
      const routes = ['/healthz', '/v1/backups/{id}', 'unmatched', '/metrics', '/readyz'];
      const methods = ['GET', 'PUT', 'OTHER', 'HEAD'];
      const statuses = [200, 404, 503, 409, 500];
      for (let i = 0; i < 2000; i++) {
        const seconds = values[i % values.length] * (1 + (i % 11) / 17);
        h.observe(routes[(i * 7) % routes.length], methods[(i * 3) % methods.length], statuses[(i * 13) % 5], seconds);
      }
      const { expected, actual } = await h.texts(format);
      assert.ok(actual.split('\n').length > 300, 'many series');
      assert.equal(actual, expected);
    });
  }

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const ours = new HttpHistogram(NAME, HELP, HTTP_BUCKETS);
    assert.throws(() => ours.observe('/healthz', 'GET', 200, NaN), TypeError);
    assert.throws(() => ours.observe('/healthz', 'GET', 200, Infinity), TypeError);
    assert.equal(ours.family().samples.length, 0);
  });
});
