// The byte builder the exposition is written with (src/domain/metrics/byte-text.ts): what it
// writes is exactly the UTF-8 of what String() and the string would give. Pure.
import assert from 'node:assert/strict';
import { ByteText } from '../../src/domain/metrics/byte-text.js';
import { renderValue } from '../../src/domain/metrics/exposition.js';

describe('ByteText', () => {
  const numbers = [
    0,
    -0,
    1,
    -1,
    7,
    10,
    99,
    100,
    1001,
    123456789012,
    -987654321,
    2 ** 31 - 1,
    2 ** 31,
    999_999_999,
    1_000_000_000,
    1_000_000_001,
    2_999_999_999_999,
    5_000_000_000_000_000,
    Number.MAX_SAFE_INTEGER - 1,
    2 ** 32 + 1,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    2 ** 53,
    1e21,
    -1e22,
    0.5,
    0.000541,
    2.2e-7,
    1796195425.5,
    NaN,
    Infinity,
    -Infinity,
  ];
  for (const n of numbers) {
    it(`writes ${String(n)} as renderValue does`, () => {
      const out = new ByteText();
      out.integerOr(n, renderValue);
      assert.equal(out.take().toString('latin1'), renderValue(n));
    });
  }

  it('writes integers as String() does, over a sweep of magnitudes', () => {
    const out = new ByteText();
    let expected = '';
    for (let n = 1; n < Number.MAX_SAFE_INTEGER; n = n * 3 + 1) {
      for (const v of [n, -n, n - 1]) {
        out.integerOr(v, renderValue);
        out.byte(32);
        expected += `${String(v)} `;
      }
    }
    assert.equal(out.take().toString('latin1'), expected);
  });

  it('writes integers next to multiples of 10^9 as String() does (the split of large ones)', () => {
    const out = new ByteText();
    let expected = '';
    for (let high = 1; high * 1e9 < Number.MAX_SAFE_INTEGER; high = high * 7 + 3) {
      for (const v of [high * 1e9 - 1, high * 1e9, high * 1e9 + 1, high * 1e9 + 999_999_999]) {
        out.integerOr(v, renderValue);
        out.byte(32);
        expected += `${String(v)} `;
      }
    }
    assert.equal(out.take().toString('latin1'), expected);
  });

  for (const text of [
    '',
    'redis_up 1\n',
    'redis_errors_total{err="\u00c4RR"} 1\n',
    'x{v="\u{1f600}"} 1\n',
    'ab\u00e9',
  ]) {
    it(`writes ${JSON.stringify(text)} as UTF-8`, () => {
      const out = new ByteText();
      out.string(text);
      assert.deepEqual(out.take(), Buffer.from(text, 'utf8'));
    });
  }

  it('grows past its capacity, keeps what it wrote, and is empty after take', () => {
    const out = new ByteText(4);
    const parts = ['abc', 'defgh', '\u00e9\u00e9\u00e9', 'x'.repeat(100)];
    for (const p of parts) out.string(p);
    out.bytes(Buffer.from('yz'));
    out.integerOr(1234567890, renderValue);
    assert.equal(out.take().toString('utf8'), `${parts.join('')}yz1234567890`);
    assert.equal(out.length, 0);
    out.string('again');
    assert.equal(out.take().toString('utf8'), 'again');
    out.string('left by a use that threw');
    assert.equal(out.clear().take().length, 0);
  });
});
