import assert from 'node:assert/strict';
import {
  commandStats,
  connectedReplicas,
  keyspace,
  keyValue,
  keyValues,
  numberField,
  parseInfo,
  parseKeyValues,
  latencyStats,
  percentiles,
  toNumber,
} from '../../src/redis/info.js';

describe('INFO parser', () => {
  const text = [
    '# Server',
    'redis_version:7.0.15',
    'run_id:abc',
    '',
    '# Replication',
    'role:master',
    'connected_slaves:2',
    'slave0:ip=10.0.0.2,port=6379,state=online,offset=100,lag=0',
    'slave1:ip=10.0.0.3,port=6380,state=wait_bgsave,offset=0,lag=1',
    'master_repl_offset:100',
    '',
    '# Keyspace',
    'db0:keys=3,expires=1,avg_ttl=100,subexpiry=0',
    '',
  ].join('\r\n');

  it('groups fields by section, case-insensitively', () => {
    const info = parseInfo(text);
    assert.equal(info.sections.get('server')?.get('redis_version'), '7.0.15');
    assert.equal(info.sections.get('replication')?.get('role'), 'master');
    assert.equal(numberField(info, 'master_repl_offset'), 100);
    assert.equal(numberField(info, 'missing'), undefined);
  });

  it('reads connected replicas by field name', () => {
    assert.deepEqual(connectedReplicas(parseInfo(text)), [
      { index: 0, host: '10.0.0.2', port: 6379, state: 'online', offset: 100, lag: 0 },
      { index: 1, host: '10.0.0.3', port: 6380, state: 'wait_bgsave', offset: 0, lag: 1 },
    ]);
  });

  it('tolerates replicas without lag (Redis 2.8 style) and fields in another order', () => {
    const info = parseInfo('# Replication\nrole:master\nslave0:state=online,offset=5,port=1,ip=h\n');
    assert.deepEqual(connectedReplicas(info), [
      { index: 0, host: 'h', port: 1, state: 'online', offset: 5, lag: undefined },
    ]);
  });

  it('parses k=v lists whatever fields they carry (Redis 7.4 subexpiry, Valkey)', () => {
    const kv = parseKeyValues('keys=3,expires=1,avg_ttl=100,subexpiry=0');
    assert.equal(kv.get('keys'), '3');
    assert.equal(kv.get('subexpiry'), '0');
  });

  it('keeps values that contain colons (IPv6 addresses, executable paths)', () => {
    const info = parseInfo('# Server\nexecutable:/usr/bin/redis-server\nmaster_host:fe80::1\n');
    assert.equal(info.fields.get('master_host'), 'fe80::1');
  });

  const lines: [string, string, [string, string][]][] = [
    [
      'CRLF, LF and no final newline',
      '# S\r\na:1\r\nb:2\nc:3',
      [
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ],
    ],
    ['a line without a colon, before lines with one', '# S\r\nnocolon\r\nd:4\r\n', [['d', '4']]],
    ['a line that starts with a colon', ':x\r\ne:5\r\n', [['e', '5']]],
    [
      'empty values and blank lines',
      '\r\n\r\nf:\r\n\r\ng:6\r\n',
      [
        ['f', ''],
        ['g', '6'],
      ],
    ],
    ['a bare carriage return at the end', 'h:7\r', [['h', '7']]],
  ];
  for (const [what, text, fields] of lines) {
    it(`reads fields line by line: ${what}`, () => {
      assert.deepEqual([...parseInfo(text).fields], fields);
    });
  }

  // keyValue reads one key without the map; it must agree with parseKeyValues(…).get(…).
  const keyValueCases: [string, string][] = [
    ['calls=3,usec=12,usec_per_call=4.00,rejected_calls=0,failed_calls=1', 'usec'],
    ['calls=3,usec=12,usec_per_call=4.00,rejected_calls=0,failed_calls=1', 'calls'],
    ['calls=3,usec=12,usec_per_call=4.00,rejected_calls=0,failed_calls=1', 'failed_calls'],
    ['calls=3,usec=12', 'rejected_calls'],
    ['usec_per_call=4.00,usec=12', 'usec'],
    ['count=2', 'count'],
    ['count=', 'count'],
    ['', 'count'],
    ['count', 'count'],
    ['a=1,,a=2,', 'a'],
    ['x=a=b,y=2', 'x'],
    ['ip=fe80::1,port=6379', 'ip'],
    ['=1,a=2', 'a'],
  ];
  for (const [value, key] of keyValueCases) {
    it(`reads ${key} of ${JSON.stringify(value)} as the map does`, () => {
      assert.equal(keyValue(value, key), parseKeyValues(value).get(key));
    });
  }
  // keyValues reads several keys in one pass; each must agree with keyValue.
  for (const value of new Set(keyValueCases.map(([value]) => value))) {
    it(`reads several keys of ${JSON.stringify(value)} as keyValue does`, () => {
      const keys = ['calls', 'usec', 'rejected_calls', 'failed_calls', 'count', 'a', 'x', 'ip', ''];
      assert.deepEqual(
        keyValues(value, keys),
        keys.map((key) => keyValue(value, key)),
      );
    });
  }

  // percentiles reads the pN=V parts of a latencystats value and skips the rest.
  const percentileCases: [string, [string, string][]][] = [
    [
      'p50=0.001,p99=1.003,p99.9=4.015',
      [
        ['50', '0.001'],
        ['99', '1.003'],
        ['99.9', '4.015'],
      ],
    ],
    [
      'p50=1,q5=2,x,p=3,=4,p99=',
      [
        ['50', '1'],
        ['', '3'],
        ['99', ''],
      ],
    ],
    ['', []],
    ['p50', []],
    [',p50=1,', [['50', '1']]],
  ];
  for (const [value, expected] of percentileCases) {
    it(`reads the percentiles of ${JSON.stringify(value)}`, () => {
      assert.deepEqual(percentiles(value), expected);
    });
  }

  it('reads commandstats and latencystats by command, once per parsed INFO', () => {
    const info = parseInfo(
      [
        '# Commandstats',
        'cmdstat_get:calls=3,usec=12,usec_per_call=4.00,rejected_calls=0,failed_calls=1',
        'cmdstat_config|get:calls=1,usec=7',
        'not_a_cmdstat:calls=9',
        '# Latencystats',
        'latency_percentiles_usec_get:p50=1.003,p99=2.007',
        'other:p50=1',
        '# Keyspace',
        'db0:keys=2,expires=1,avg_ttl=0',
      ].join('\r\n'),
    );
    assert.deepEqual(
      [...commandStats(info)],
      [
        ['get', { calls: 3, usec: 12, rejectedCalls: 0, failedCalls: 1 }],
        ['config|get', { calls: 1, usec: 7, rejectedCalls: undefined, failedCalls: undefined }],
      ],
    );
    assert.deepEqual(latencyStats(info), [
      {
        cmd: 'get',
        percentiles: [
          ['50', '1.003'],
          ['99', '2.007'],
        ],
      },
    ]);
    // Derived once: every reader of this INFO gets the same result.
    assert.equal(commandStats(info), commandStats(info));
    assert.equal(latencyStats(info), latencyStats(info));
    assert.equal(keyspace(info), keyspace(info));
    assert.notEqual(keyspace(info), keyspace(parseInfo('# Keyspace\r\ndb0:keys=2')));
  });

  // toNumber reads plain integers digit by digit; it must agree with Number() (finite, not blank).
  for (const text of [
    '0',
    '-0',
    '7',
    '007',
    '-12',
    '123456789012345',
    '-123456789012345',
    '1234567890123456',
    '9007199254740993',
    '12.5',
    '1e3',
    '0x10',
    ' 5',
    '5 ',
    '',
    '  ',
    '-',
    '--1',
    '1-',
    'abc',
    'Infinity',
    'NaN',
  ]) {
    it(`reads ${JSON.stringify(text)} as Number() does`, () => {
      const n = Number(text);
      assert.ok(Object.is(toNumber(text), text.trim() !== '' && Number.isFinite(n) ? n : undefined));
    });
  }
});
