// The loader of the modules the bundle embeds compressed (src/vendor/embedded.ts): what it
// returns is the module's exports, evaluated in this context with Node's require and loader.
import assert from 'node:assert/strict';
import { brotliCompressSync } from 'node:zlib';
import { loadEmbedded } from '../../src/vendor/embedded.js';

function pack(source: string): string {
  return brotliCompressSync(source).toString('base64');
}

describe('embedded modules', () => {
  it('returns the exports of the compressed CommonJS source', () => {
    const m = loadEmbedded('vendor/sample', pack('exports.answer = 42; module.exports.twice = (n) => 2 * n;'));
    assert.equal(m.answer, 42);
    assert.equal((m.twice as (n: number) => number)(21), 42);
  });

  it("shares this context's globals: its errors are this realm's Error", () => {
    const m = loadEmbedded('vendor/sample', pack('exports.fail = () => { throw new TypeError("no"); };'));
    assert.throws(() => (m.fail as () => void)(), TypeError);
  });

  it("names the embedded module in its frames' file name", () => {
    const m = loadEmbedded('vendor/named', pack('exports.where = () => new Error("here").stack;'));
    assert.match((m.where as () => string)(), /\[vendor\/named\]:1:/);
  });

  it("loads Node's built-in modules with require", () => {
    const m = loadEmbedded('vendor/sample', pack('exports.sep = require("node:path").sep;'));
    assert.equal(m.sep, '/');
  });
});
