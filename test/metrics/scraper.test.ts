// RedisScraper's bookkeeping with INFO sources a real Redis cannot be made to produce (a
// reply that is not INFO, a run_id that changes on cue). The live behaviour is in
// live.test.ts and faults.test.ts.
import assert from 'node:assert/strict';
import { RedisScraper, type InfoSource } from '../../src/domain/metrics/scraper.js';
import { RedisUnreachableError } from '../../src/redis/adapter.js';

const info = (runId: string) => `# Server\r\nredis_version:7.0.15\r\nrun_id:${runId}\r\n`;

function source(replies: (string | Error)[]): InfoSource & { calls: number } {
  return {
    calls: 0,
    async info() {
      const reply = replies[this.calls++];
      if (reply instanceof Error) throw reply;
      return reply ?? '';
    },
  };
}

describe('RedisScraper', () => {
  it('counts failures by kind and keeps no families from a failed scrape', async () => {
    const scraper = new RedisScraper(
      source([
        new RedisUnreachableError('INFO did not answer within 1000 ms', 'timeout'),
        new RedisUnreachableError('INFO failed', 'connection'),
        '-ERR this is not INFO\r\n',
        info('a'),
      ]),
    );
    const outcomes = [await scraper.scrape(), await scraper.scrape(), await scraper.scrape(), await scraper.scrape()];
    assert.deepEqual(
      outcomes.map((o) => o.failure),
      ['timeout', 'connection', 'parse', null],
    );
    assert.deepEqual(
      outcomes.map((o) => o.families !== null),
      [false, false, false, true],
    );
    assert.deepEqual(scraper.failures, { timeout: 1, connection: 1, parse: 1 });
  });

  it('counts a restart when run_id changes, across failed scrapes too', async () => {
    const scraper = new RedisScraper(
      source([info('a'), info('a'), new RedisUnreachableError('x', 'connection'), info('b'), info('b')]),
    );
    for (let i = 0; i < 5; i++) await scraper.scrape();
    assert.equal(scraper.restartsObserved, 1);
  });

  it('shares one INFO call among scrapes that overlap, and calls again after', async () => {
    const s = source([info('a'), info('a')]);
    const scraper = new RedisScraper(s);
    const [a, b, c] = await Promise.all([scraper.scrape(), scraper.scrape(), scraper.scrape()]);
    assert.equal(s.calls, 1);
    assert.ok(a === b && b === c);
    await scraper.scrape();
    assert.equal(s.calls, 2);
  });
});
