// The exposition renderer and content negotiation, and failure classification. Pure.
import assert from 'node:assert/strict';
import {
  escapeLabelValue,
  negotiateFormat,
  renderBytes,
  renderText,
  renderValue,
  type Family,
} from '../../src/domain/metrics/exposition.js';
import { classify } from '../../src/domain/metrics/scraper.js';
import { RedisReplyError, RedisUnreachableError } from '../../src/redis/adapter.js';

describe('exposition', () => {
  const cases: [string | undefined, 'prometheus' | 'openmetrics'][] = [
    [undefined, 'prometheus'],
    ['*/*', 'prometheus'],
    ['text/plain;version=0.0.4', 'prometheus'],
    ['application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'openmetrics'],
    ['Application/OpenMetrics-Text', 'openmetrics'],
    ['application/json', 'prometheus'],
  ];
  for (const [accept, format] of cases) {
    it(`Accept ${String(accept)} → ${format}`, () => assert.equal(negotiateFormat(accept), format));
  }

  for (const [input, expected] of [
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['back\\slash', 'back\\\\slash'],
    ['two\nlines', 'two\\nlines'],
  ]) {
    it(`escapes label value ${JSON.stringify(input)}`, () => assert.equal(escapeLabelValue(input), expected));
  }

  for (const [v, text] of [
    [1, '1'],
    [0.5, '0.5'],
    [1e-6, '0.000001'],
    [2.2e-7, '2.2e-7'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [-1, '-1'],
  ] as const) {
    it(`renders ${String(v)} as ${text}`, () => assert.equal(renderValue(v), text));
  }

  const families: Family[] = [
    {
      name: 'x_total',
      type: 'counter',
      help: 'A counter\nwith a newline.',
      samples: [{ labels: { cmd: 'config|get' }, value: 3 }],
    },
    { name: 'empty', type: 'gauge', help: 'Nothing to say.', samples: [] },
    {
      name: 'lat_seconds',
      type: 'summary',
      help: 'Latency.',
      samples: [
        { labels: { quantile: '0.5' }, value: 0.1 },
        { suffix: '_count', value: 2 },
      ],
    },
  ];

  it('renders Prometheus text: HELP, TYPE, samples; empty families left out', () => {
    assert.equal(
      renderText(families, 'prometheus'),
      '# HELP x_total A counter\\nwith a newline.\n# TYPE x_total counter\nx_total{cmd="config|get"} 3\n' +
        '# HELP lat_seconds Latency.\n# TYPE lat_seconds summary\nlat_seconds{quantile="0.5"} 0.1\nlat_seconds_count 2\n',
    );
  });

  it('renders OpenMetrics: counter families without _total, samples with it, # EOF at the end', () => {
    const text = renderText(families, 'openmetrics');
    assert.match(text, /^# TYPE x counter\nx_total\{cmd="config\|get"\} 3$/m);
    assert.ok(text.endsWith('lat_seconds_count 2\n# EOF\n'));
  });

  const failures: [unknown, string][] = [
    [new RedisUnreachableError('INFO did not answer within 1000 ms', 'timeout'), 'timeout'],
    [new RedisUnreachableError('INFO failed', 'connection'), 'connection'],
    [new RedisReplyError('NOAUTH Authentication required.'), 'connection'],
    [new Error('something else'), 'connection'],
  ];
  for (const [err, kind] of failures) {
    it(`classifies ${(err as Error).message} as ${kind}`, () => assert.equal(classify(err), kind));
  }

  for (const value of ['\u00c4RR', '\u{1f600}', 'plain', 'a"b\\c\nd\u00e9']) {
    it(`writes the label value ${JSON.stringify(value)} as UTF-8`, () => {
      const family: Family = {
        name: 'utf8_total',
        type: 'counter',
        help: 'H\u00e9lp.',
        samples: [{ labels: { v: value }, value: 1 }],
      };
      const text = renderText([family], 'prometheus');
      assert.equal(
        text,
        `# HELP utf8_total H\u00e9lp.\n# TYPE utf8_total counter\nutf8_total{v="${escapeLabelValue(value)}"} 1\n`,
      );
      assert.deepEqual(renderBytes([family], 'prometheus'), Buffer.from(text, 'utf8'));
    });
  }
});
