// Bad input: a clear problem+json, and nothing started.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { startBackupManager } from './support/fixtures.js';
import { TestStorage } from './support/storage.js';

describe('backup: bad input', () => {
  let storage: TestStorage;
  let withStorage: TestManager;
  let withoutStorage: TestManager;

  before(async () => {
    storage = await TestStorage.start();
    withStorage = await startBackupManager({ raw: storage.raw('bad-input') });
    withoutStorage = await startBackupManager();
  });
  after(async () => {
    await withStorage.stop();
    await withoutStorage.stop();
    await storage.stop();
  });

  async function assertNothingStarted(m: TestManager): Promise<void> {
    const list = await api(m).get('/v1/backups').set(auth()).expect(200);
    assert.deepEqual(list.body.items, []);
    assert.equal(m.instance.backups.busy, false);
  }

  const cases: { name: string; body: string; detail: RegExp }[] = [
    { name: 'an unknown type', body: '{"type":"snapshot"}', detail: /type/ },
    { name: 'upload that is not a boolean', body: '{"upload":"yes"}', detail: /upload/ },
    { name: 'an unknown property', body: '{"type":"rdb","compress":true}', detail: /compress/ },
    { name: 'malformed JSON', body: '{"type":', detail: /not valid JSON/ },
    { name: 'a JSON array', body: '[]', detail: /request|body/ },
  ];
  for (const c of cases) {
    it(`${c.name} is 400`, async () => {
      const res = await api(withStorage)
        .post('/v1/backup')
        .set(auth())
        .set('Content-Type', 'application/json')
        .send(c.body)
        .expect(400);
      assert.equal(res.body.status, 400);
      assert.match(res.body.detail, c.detail);
      await assertNothingStarted(withStorage);
    });
  }

  it('upload requested with no storage configured is 400', async () => {
    const res = await api(withoutStorage).post('/v1/backup').set(auth()).send({ upload: true }).expect(400);
    assert.match(res.body.detail, /no object storage is configured/);
    await assertNothingStarted(withoutStorage);
  });

  it('a body that is not JSON is 415', async () => {
    await api(withStorage).post('/v1/backup').set(auth()).set('Content-Type', 'text/plain').send('rdb').expect(415);
    await assertNothingStarted(withStorage);
  });

  it('no token is 401, for starting and for reading backups', async () => {
    await api(withStorage).post('/v1/backup').send({}).expect(401);
    await api(withStorage).get('/v1/backups').expect(401);
    await api(withStorage).get('/v1/backups/abc').expect(401);
    await assertNothingStarted(withStorage);
  });

  it('an unknown backup id is 404, a malformed one 400', async () => {
    await api(withStorage).get('/v1/backups/20260101T000000Z-abcdef').set(auth()).expect(404);
    await api(withStorage).get('/v1/backups/bad.id').set(auth()).expect(400);
  });

  it('status says lastBackup null before any backup', async () => {
    const res = await api(withoutStorage).get('/v1/status').expect(200);
    assert.equal(res.body.lastBackup, null);
  });

  it('with no storage, an empty body means a local RDB save (upload defaults to false)', async () => {
    const res = await api(withoutStorage).post('/v1/backup').set(auth()).expect(202);
    assert.equal(res.body.type, 'rdb');
    assert.equal(res.body.upload, false);
    assert.equal(res.body.state, 'saving');
    await withoutStorage.instance.backups.idle();
  });
});
