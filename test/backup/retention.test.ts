// Retention and deletion against s3rver: `--backup-retention-count 2` after 4 backups leaves
// exactly 2 in storage, the newest among them; a storage failing in the middle of the deletes
// loses nothing and the next run finishes the job; a catalogue that cannot be listed deletes
// nothing; DELETE /v1/backups/{id} keeps the newest unless forced. Deletions are counted.
import assert from 'node:assert/strict';
import { api } from '../helpers/api.js';
import { auth, type TestManager } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { backupAndWait, startBackupManager } from './support/fixtures.js';
import { TestStorage } from './support/storage.js';
import type { BackupView } from '../../src/domain/backup/backup-record.js';

const PREFIX = 'retained';

describe('backup retention and deletion', function () {
  this.timeout(120_000);
  let storage: TestStorage;
  let m: TestManager;
  let n = 0;

  before(async () => {
    storage = await TestStorage.start();
    m = await startBackupManager({ raw: { ...storage.raw(PREFIX), backupRetentionCount: '2' } });
  });
  after(async () => {
    await m.stop();
    await storage.stop();
  });
  afterEach(() => {
    storage.fault = () => 'pass';
    return storage.up();
  });

  /** A backup of a dataset that changes every time; waits for the retention run after it. */
  async function backup(): Promise<BackupView> {
    await redisClient(m.redisPort).set('generation', String(++n));
    const made = await backupAndWait(m);
    assert.equal(made.state, 'completed', made.error ?? '');
    await m.instance.backups.idle();
    return made;
  }

  /** The backups in storage: id → its keys. */
  async function stored(): Promise<Map<string, string[]>> {
    const byId = new Map<string, string[]>();
    for (const key of await storage.keys(`${PREFIX}/`)) {
      const id = key.split('/')[1];
      byId.set(id, [...(byId.get(id) ?? []), key.split('/')[2]]);
    }
    return byId;
  }

  function metric(text: string, name: string, label: string): number {
    const m = new RegExp(`^${name}\\{${label}\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  }

  it('count 2: after 4 backups exactly 2 remain, the newest among them; deletions counted', async () => {
    const made: BackupView[] = [];
    for (let i = 0; i < 4; i++) made.push(await backup());
    const left = await stored();
    assert.deepEqual([...left.keys()].sort(), [made[2].id, made[3].id].sort());
    for (const names of left.values()) assert.deepEqual(names.sort(), ['dump.rdb', 'metadata.json']);
    const list = await api(m).get('/v1/backups').set(auth()).expect(200);
    assert.deepEqual(
      (list.body.items as BackupView[]).map((b) => b.id),
      [made[3].id, made[2].id],
      'deleted backups leave the journal too',
    );
    const text = (await api(m).get('/metrics').expect(200)).text;
    assert.equal(metric(text, 'instance_manager_backups_deleted_total', 'trigger="retention"'), 2);
    assert.equal(metric(text, 'instance_manager_backup_retention_runs_total', 'outcome="completed"'), 4);
  });

  it('storage failing during the deletes: nothing is lost, and the next run finishes the job', async () => {
    const before = [...(await stored()).keys()].sort();
    // The data object of the expired backup goes, then the storage drops every delete.
    let deletes = 0;
    storage.fault = (req) => (req.method === 'DELETE' && ++deletes >= 2 ? 'cut' : 'pass');
    const newest = await backup();
    assert.ok(deletes >= 2, 'retention tried to delete');
    const during = await stored();
    // The two newest are whole; the expired one is half-deleted (its metadata.json says so).
    assert.deepEqual(during.get(newest.id)!.sort(), ['dump.rdb', 'metadata.json']);
    assert.deepEqual(during.get(before[1])!.sort(), ['dump.rdb', 'metadata.json']);
    assert.deepEqual(during.get(before[0]), ['metadata.json']);
    const list = await api(m).get('/v1/backups').set(auth()).expect(200);
    assert.deepEqual(
      (list.body.items as BackupView[]).map((b) => b.id),
      [newest.id, before[1]],
      'a half-deleted backup is not listed (it cannot be restored)',
    );
    const text = (await api(m).get('/metrics').expect(200)).text;
    assert.equal(metric(text, 'instance_manager_backup_retention_runs_total', 'outcome="failed"'), 1);

    storage.fault = () => 'pass';
    const next = await backup();
    const after = await stored();
    assert.deepEqual([...after.keys()].sort(), [newest.id, next.id].sort());
    for (const names of after.values()) assert.deepEqual(names.sort(), ['dump.rdb', 'metadata.json']);
  });

  it('a catalogue that cannot be listed deletes nothing (the run is counted as skipped)', async () => {
    const before = [...(await stored()).keys()].sort();
    // Uploads go through; listing the prefix does not.
    storage.fault = (req) => (req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '') ? 'cut' : 'pass');
    const made = await backup();
    storage.fault = () => 'pass';
    const after = [...(await stored()).keys()].sort();
    assert.deepEqual(after, [...before, made.id].sort(), 'three backups: nothing deleted');
    const text = (await api(m).get('/metrics').expect(200)).text;
    assert.equal(metric(text, 'instance_manager_backup_retention_runs_total', 'outcome="skipped"'), 1);
    // The next successful run catches up.
    const next = await backup();
    assert.deepEqual([...(await stored()).keys()].sort(), [made.id, next.id].sort());
  });

  it('DELETE /v1/backups/{id}: 409 for the newest unless force=true, 404 after, counted', async () => {
    const [newest, older] = ((await api(m).get('/v1/backups').set(auth()).expect(200)).body.items as BackupView[]).map(
      (b) => b.id,
    );
    const refused = await api(m).delete(`/v1/backups/${newest}`).set(auth()).expect(409);
    assert.match(refused.body.detail, /newest completed backup/);
    assert.ok((await stored()).has(newest));

    const res = await api(m).delete(`/v1/backups/${older}`).set(auth()).expect(200);
    assert.deepEqual(res.body, {
      id: older,
      deletedObjects: [`${PREFIX}/${older}/dump.rdb`, `${PREFIX}/${older}/metadata.json`],
    });
    assert.ok(!(await stored()).has(older));
    await api(m).get(`/v1/backups/${older}`).set(auth()).expect(404);
    await api(m).delete(`/v1/backups/${older}`).set(auth()).expect(404);

    await api(m).delete(`/v1/backups/${newest}?force=true`).set(auth()).expect(200);
    assert.deepEqual([...(await stored()).keys()], []);
    const text = (await api(m).get('/metrics').expect(200)).text;
    assert.equal(metric(text, 'instance_manager_backups_deleted_total', 'trigger="request"'), 2);
  });

  it('DELETE with the storage down is 503 and deletes nothing; without a token 401; a bad force 400', async () => {
    const made = await backup();
    await storage.down();
    const res = await api(m).delete(`/v1/backups/${made.id}?force=true`).set(auth()).expect(503);
    assert.match(res.body.detail, /nothing was deleted/);
    await storage.up();
    assert.ok((await stored()).has(made.id));
    await api(m).delete(`/v1/backups/${made.id}?force=true`).expect(401);
    await api(m).delete(`/v1/backups/${made.id}?force=please`).set(auth()).expect(400);
    assert.ok((await stored()).has(made.id));
  });
});
