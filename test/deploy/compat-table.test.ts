// README.md's table of redis_exporter names → ours is generated from the compat module
// (scripts/exporter-compat-table.ts): this fails when someone changes one without the other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EXPORTER_FAMILIES } from '../../src/domain/metrics/exporter-compat-table.js';
import { migrationTable, README, withTable } from '../../scripts/exporter-compat-table.js';

describe('README.md: the redis_exporter migration table', () => {
  it('is the one the code generates (make compat-table)', () => {
    const readme = readFileSync(README, 'utf8');
    assert.equal(readme, withTable(readme, migrationTable()), 'README.md is stale: run make compat-table');
    for (const f of EXPORTER_FAMILIES) assert.ok(readme.includes(`| \`${f.name}\` |`), f.name);
  });

  it('notices a stale table', () => {
    const readme = readFileSync(README, 'utf8');
    const stale = readme.replace('| `redis_uptime_in_seconds` |', '| `redis_uptime_in_secs` |');
    assert.notEqual(withTable(stale, migrationTable()), stale);
  });
});
