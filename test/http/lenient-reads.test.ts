// Reads forgive: every GET operation of the contract ignores query parameters it does not
// declare (a Prometheus scrape config's `params:`), and answers HEAD with the GET's status
// and headers and no body. Writes stay strict. Covers each GET operation the contract has,
// on the fast path (plain reads) and through express + openapi-backend (the others).
import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { api } from '../helpers/api.js';
import { contractOperations } from '../helpers/contract.js';
import { auth, startTestManager, type TestManager } from '../helpers/manager.js';
import { waitFor } from '../helpers/wait.js';

/** What a scrape config with `params: { name[]: [x] }` and a few careless clients send. */
const UNKNOWN_QUERIES = ['?name[]=x', '?x=1', '?verbose', '?name[]=a&name[]=b&ts=1700000000&=&%zz'];

/** Headers whose value may differ between two answers to the same read. */
const VOLATILE = new Set(['date', 'x-request-id', 'content-length', 'connection', 'keep-alive']);

function stableHeaders(res: Response): Record<string, string> {
  return Object.fromEntries(Object.entries(res.headers).filter(([name]) => !VOLATILE.has(name)));
}

describe('lenient reads: unknown query parameters and HEAD on every GET operation', () => {
  let m: TestManager;
  let backupId: string;
  before(async () => {
    m = await startTestManager();
    const started = await api(m).post('/v1/backup').set(auth()).send({ upload: false }).expect(202);
    backupId = started.body.id;
    await waitFor('the backup to finish', async () => {
      const res = await api(m).get(`/v1/backups/${backupId}`).set(auth()).expect(200);
      return res.body.state === 'completed' || undefined;
    });
  });
  after(() => m.stop());

  const reads = contractOperations().filter((op) => op.method === 'get');

  it('the contract has GET operations to cover, each of them below', () => {
    assert.ok(reads.length >= 6, `only ${reads.length} GET operations`);
  });

  for (const { path, operation } of reads) {
    const concrete = () => path.replace('{id}', backupId);

    describe(`${operation.operationId} (GET ${path})`, () => {
      it('answers the same status with unknown query parameters, never 400', async () => {
        const plain = await api(m).get(concrete()).set(auth());
        assert.ok(plain.status < 400, `${concrete()}: ${plain.status}`);
        for (const query of UNKNOWN_QUERIES) {
          const res = await api(m)
            .get(concrete() + query)
            .set(auth());
          assert.equal(res.status, plain.status, `${concrete()}${query}`);
          assert.equal(res.headers['content-type'], plain.headers['content-type'], `${concrete()}${query}`);
        }
      });

      it('answers HEAD with the GET’s status and headers and no body', async () => {
        const get = await api(m).get(concrete()).set(auth());
        const head = await api(m).head(concrete()).set(auth());
        assert.equal(head.status, get.status);
        assert.deepEqual(stableHeaders(head), stableHeaders(get));
        assert.ok(Number(head.headers['content-length']) > 0, 'HEAD says how long the GET body is');
        assert.ok(!head.text, 'no body');
        // With an unknown parameter too.
        assert.equal((await api(m).head(`${concrete()}?name[]=x`).set(auth())).status, get.status);
      });
    });
  }

  it('answers HEAD on a failing read with that failure’s status and headers, no body', async () => {
    const replica = await startTestManager({ raw: { initialRole: 'replica' } });
    try {
      const failures: [string, TestManager, Record<string, string>, number][] = [
        ['/v1/backups', m, {}, 401],
        [`/v1/backups/${backupId}`, m, {}, 401],
        ['/v1/backups/no-such-backup', m, auth(), 404],
        ['/v1/backups/not%20an%20id', m, auth(), 400],
        ['/readyz', replica, {}, 503],
      ];
      for (const [path, target, headers, status] of failures) {
        const get = await api(target).get(path).set(headers).expect(status);
        const head = await api(target).head(path).set(headers).expect(status);
        assert.deepEqual(stableHeaders(head), stableHeaders(get), path);
        assert.ok(!head.text, path);
      }
    } finally {
      await replica.stop();
    }
  });

  it('HEAD on a path without GET is 405, and 405 lists HEAD wherever GET is allowed', async () => {
    const head = await api(m).head('/v1/promote').set(auth()).expect(405);
    assert.equal(head.headers.allow, 'POST');
    const post = await api(m).post('/healthz').expect(405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('writes stay strict: an unknown query parameter is 400 and changes nothing', async () => {
    const res = await api(m).delete('/v1/fence?x=1').set(auth()).expect(400);
    assert.match(res.body.detail, /query/);
    await api(m).post('/v1/demote?force=1').set(auth()).send({ primaryHost: '10.0.0.1' }).expect(400);
    assert.equal((await api(m).get('/v1/status').expect(200)).body.role, 'primary');
  });
});
