// Bad input gets a clear problem+json and changes nothing.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { stateFilePath } from '../../src/domain/state/state-file.js';
import { api } from '../helpers/api.js';
import { auth, startTestManager, type TestManager } from '../helpers/manager.js';

describe('bad input', () => {
  let m: TestManager;
  let stateBefore: string;
  before(async () => {
    m = await startTestManager();
    stateBefore = await readFile(stateFilePath(m.dataDir), 'utf8');
  });
  after(async () => {
    // Nothing above may have changed the persisted role, primary or epoch.
    assert.equal(await readFile(stateFilePath(m.dataDir), 'utf8'), stateBefore);
    await m.stop();
  });

  const demote = () => api(m).post('/v1/demote').set(auth());

  it('malformed JSON → 400', async () => {
    const res = await demote().set('Content-Type', 'application/json').send('{"primaryHost": ').expect(400);
    assert.equal(res.body.detail, 'the body is not valid JSON');
  });

  it('a JSON body that is not an object → 400', async () => {
    const res = await demote().set('Content-Type', 'application/json').send('"redis-0"').expect(400);
    assert.match(res.body.detail, /must be object/);
  });

  it('a body over the limit → 413', async () => {
    const res = await demote()
      .send({ primaryHost: 'h', padding: 'x'.repeat(100 * 1024) })
      .expect(413);
    assert.match(res.body.detail, /larger than the limit of 65536 bytes/);
  });

  it('the wrong content type → 415, naming the expected one', async () => {
    const res = await demote().set('Content-Type', 'text/plain').send('primaryHost=h').expect(415);
    assert.equal(res.body.detail, 'demote takes application/json, not text/plain');
  });

  it('a body sent to an operation that takes none is ignored, not parsed', async () => {
    const res = await api(m).get('/v1/status').set('Content-Type', 'application/json').send('{not json').expect(200);
    assert.equal(res.body.role, 'primary');
  });

  it('unknown fields → 400, naming the field', async () => {
    const res = await demote().send({ primaryHost: 'h', primaryPrt: 6379 }).expect(400);
    assert.deepEqual(res.body.errors, [
      { path: 'requestBody', message: 'must NOT have additional properties (primaryPrt)' },
    ]);
  });

  it('a missing required field → 400', async () => {
    const res = await demote().send({}).expect(400);
    assert.match(res.body.detail, /must have required property 'primaryHost'/);
  });

  const outOfRange: [string, object, RegExp][] = [
    ['port 0', { primaryHost: 'h', primaryPort: 0 }, /primaryPort must be >= 1/],
    ['port 65536', { primaryHost: 'h', primaryPort: 65536 }, /primaryPort must be <= 65535/],
    ['port as a string', { primaryHost: 'h', primaryPort: '6379' }, /primaryPort must be integer/],
    ['port as a fraction', { primaryHost: 'h', primaryPort: 6379.5 }, /primaryPort must be integer/],
    ['negative epoch', { primaryHost: 'h', epoch: -1 }, /epoch must be >= 0/],
    ['epoch past 2^53', { primaryHost: 'h', epoch: 2 ** 53 + 2 }, /epoch must be <= 9007199254740991/],
    ['empty host', { primaryHost: '' }, /primaryHost must NOT have fewer than 1 characters/],
  ];
  for (const [name, body, message] of outOfRange) {
    it(`out of range: ${name} → 400`, async () => {
      const res = await demote().send(body).expect(400);
      assert.match(res.body.detail, message);
    });
  }

  it('an invalid path parameter → 400', async () => {
    const res = await api(m).get('/v1/backups/not%20valid!').set(auth()).expect(400);
    assert.match(res.body.detail, /must match pattern/);
  });

  it('an unknown path → 404 and a wrong method → 405 with Allow', async () => {
    await api(m).get('/v2/status').expect(404);
    const res = await api(m).post('/v1/status').expect(405);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  it('every problem carries the request id given in X-Request-Id', async () => {
    const res = await api(m).get('/nowhere').set('X-Request-Id', 'trace-42').expect(404);
    assert.equal(res.body.instance, 'trace-42');
    assert.equal(res.headers['x-request-id'], 'trace-42');
  });
});
