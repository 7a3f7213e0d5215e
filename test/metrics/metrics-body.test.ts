// The body Metrics.exposition writes into its one buffer (src/domain/metrics/metrics.ts): scrapes
// that share one INFO call share its rendering, and a scrape that threw midway leaves nothing
// behind for the next. A fake Redis answers INFO with a fixture. Pure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Family } from '../../src/domain/metrics/exposition.js';
import { Metrics } from '../../src/domain/metrics/metrics.js';
import type { RedisAdapter } from '../../src/redis/adapter.js';

const INFO = readFileSync(join(import.meta.dirname, '../fixtures/info/redis-7.0.15-primary.txt'), 'utf8');
const fakeRedis = { info: () => Promise.resolve(INFO), close: () => Promise.resolve() } as unknown as RedisAdapter;

describe('Metrics exposition body', () => {
  it('gives scrapes that share one INFO call the same body', async () => {
    const m = new Metrics(fakeRedis, () => 0);
    const [a, b] = await Promise.all([m.exposition('prometheus'), m.exposition('prometheus')]);
    assert.match(a.body.toString(), /^redis_db_keys\{db="db0"\} 3$/m);
    assert.deepEqual(b.body, a.body);
  });

  it('starts afresh after a scrape that threw while it was written', async () => {
    let calls = 0;
    const managerFamilies = (): Family[] => {
      if (calls++ === 0) throw new Error('a manager figure failed');
      return [];
    };
    const m = new Metrics(fakeRedis, () => 0, managerFamilies);
    await assert.rejects(m.exposition('openmetrics'), /a manager figure failed/);
    const text = (await m.exposition('openmetrics')).body.toString();
    assert.ok(text.startsWith('# HELP redis_up '));
    assert.equal(text.match(/^# HELP redis_up /gm)?.length, 1);
    assert.ok(text.endsWith('# EOF\n'));
  });
});
