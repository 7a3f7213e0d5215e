// The bundle as deployed, where express/openapi-backend and the AWS SDK are embedded
// compressed and compiled at their first use (scripts/build.mjs): a backup requested over
// the API is uploaded to s3rver, and the bundle's restore command (a fresh process, as an
// init container runs it) installs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startBundledManager, type BundledManager } from '../upgrade/bundles.js';
import { TestStorage } from './support/storage.js';

describe('backup and restore with the bundle (embedded SDK)', function () {
  this.timeout(120_000);
  let storage: TestStorage;
  let m: BundledManager;

  before(async () => {
    storage = await TestStorage.start();
    const s3 = storage.raw('bundle');
    m = await startBundledManager('0.0.0-bundle-backup', [
      '--s3-endpoint',
      s3.s3Endpoint,
      '--s3-bucket',
      s3.s3Bucket,
      '--s3-prefix',
      s3.s3Prefix,
      '--s3-region',
      s3.s3Region,
      '--s3-path-style',
    ]);
  });
  after(async () => {
    await m?.stop();
    await storage?.stop();
  });

  it('uploads a backup started over the API, and restores it with the restore command', async () => {
    const token = (await readFile(m.tokenFile, 'utf8')).trim();
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const started = await fetch(`${m.url}/v1/backup`, { method: 'POST', headers, body: '{"type":"rdb"}' });
    assert.equal(started.status, 202, await started.clone().text());
    const { id } = (await started.json()) as { id: string };
    const done = await waitFor(`backup ${id}`, async () => {
      const view = (await (await fetch(`${m.url}/v1/backups/${id}`, { headers })).json()) as {
        state: string;
        location: string | null;
        sha256: string | null;
        error: string | null;
      };
      return view.state === 'completed' || view.state === 'failed' ? view : undefined;
    });
    assert.equal(done.state, 'completed', done.error ?? '');

    const dataDir = join(await tempDir('im-bundle-restore-'), 'data');
    const { stdout } = await promisify(execFile)(process.execPath, [
      m.bundle,
      'restore',
      '--from',
      done.location!,
      '--data-dir',
      dataDir,
      '--s3-endpoint',
      storage.endpoint,
      '--s3-path-style',
      '--s3-region',
      'us-east-1',
    ]);
    const summary = JSON.parse(stdout.trim()) as { sha256: string; installed: string[] };
    assert.equal(summary.sha256, done.sha256);
    assert.deepEqual(summary.installed, ['dump.rdb']);
    assert.ok((await stat(join(dataDir, 'dump.rdb'))).size > 0);
  });

  it('answers a malformed write with the same problem+json as from source', async () => {
    const token = (await readFile(m.tokenFile, 'utf8')).trim();
    const res = await fetch(`${m.url}/v1/backup`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{"type":',
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await res.json()) as { detail: string }).detail, 'the body is not valid JSON');
  });
});
