// Refusals that need a hand on the running instance: an update while a backup holds the
// operation guard, a manager not running from a bundle, and a Node without process.execve.
// The in-process manager runs from source, so these tests point it at a bundle copy; none
// of them ever reaches the exec.
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { api } from '../helpers/api.js';
import { auth, startTestManager, type TestManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { buildBundle, digestHeader, listing, sha256Of } from './bundles.js';
import { expectStatus, putFetch, startPut } from './raw-put.js';

describe('PUT /v1/update and the running instance', function () {
  this.timeout(60_000);
  let m: TestManager;
  let good: Buffer;
  before(async () => {
    good = await readFile(await buildBundle('9.9.9'));
    m = await startTestManager();
  });
  after(() => m?.stop());

  const put = (body: Uint8Array, digest: string) => putFetch(m.url, { ...auth(), 'Content-Digest': digest }, body);

  it('run from source (no bundle to replace): 501, nothing written', async () => {
    assert.equal(m.instance.identity.executablePath, null);
    const dataBefore = await listing(m.dataDir);
    const res = expectStatus(await put(good, digestHeader(good)), 501);
    assert.match(res.body.detail, /not running from its bundle/);
    assert.deepEqual(await listing(m.dataDir), dataBefore);
  });

  describe('with the instance pointed at a bundle copy', () => {
    let binDir: string;
    let bundle: string;
    let original: string;
    before(async () => {
      binDir = await tempDir('im-bin-');
      bundle = join(binDir, 'instance-manager.mjs');
      await copyFile(await buildBundle('1.0.0-base'), bundle);
      original = await sha256Of(bundle);
      m.instance.identity.executablePath = bundle;
    });
    after(() => {
      m.instance.identity.executablePath = null;
    });

    it('while a backup is in progress: 409 naming it, nothing installed; allowed again once it ends', async () => {
      const backup = m.instance.operations.begin('backup', 'backup 2026-11-26T12:00:00Z');
      const files = await listing(binDir);
      try {
        const res = expectStatus(await put(good, digestHeader(good)), 409);
        assert.match(res.body.detail, /backup 2026-11-26T12:00:00Z is in progress/);
        assert.equal((await api(m).get('/v1/status').expect(200)).body.manager.upgrading, false);
      } finally {
        backup.release();
      }
      assert.deepEqual(await listing(binDir), files);
      assert.equal(await sha256Of(bundle), original);
      // The guard is free again: a (deliberately mismatched) update gets as far as the digest.
      expectStatus(await put(Buffer.from('x'), digestHeader(Buffer.from('y'))), 422);
    });

    it('while the manager shuts down: 503, nothing installed', async () => {
      const files = await listing(binDir);
      m.instance.shuttingDown = true;
      try {
        const res = expectStatus(await put(good, digestHeader(good)), 503);
        assert.match(res.body.detail, /shutting down/);
      } finally {
        m.instance.shuttingDown = false;
      }
      assert.deepEqual(await listing(binDir), files);
      assert.equal(await sha256Of(bundle), original);
    });

    it('while an update is being received, a backup cannot start', async () => {
      const update = m.instance.operations.begin('update', 'an update');
      try {
        assert.throws(() => m.instance.operations.begin('backup'), /an update is in progress/);
      } finally {
        update.release();
      }
    });

    it('on a Node without process.execve: 501 before anything is read, nothing installed', async () => {
      const execve = Object.getOwnPropertyDescriptor(process, 'execve')!;
      Object.defineProperty(process, 'execve', { value: undefined, configurable: true, writable: true });
      const files = await listing(binDir);
      try {
        const res = expectStatus(await put(good, digestHeader(good)), 501);
        assert.match(res.body.detail, /no process\.execve/);
      } finally {
        Object.defineProperty(process, 'execve', execve);
      }
      assert.equal(typeof process.execve, 'function');
      assert.deepEqual(await listing(binDir), files);
      assert.equal(await sha256Of(bundle), original);
    });
  });
});

describe('a stalled upload', function () {
  this.timeout(60_000);
  const STALL_SECONDS = 2;
  let m: TestManager;
  let binDir: string;
  before(async () => {
    m = await startTestManager({ raw: { updateStallTimeoutSeconds: String(STALL_SECONDS) } });
    binDir = await tempDir('im-bin-');
    const bundle = join(binDir, 'instance-manager.mjs');
    await copyFile(await buildBundle('1.0.0-base'), bundle);
    m.instance.identity.executablePath = bundle;
  });
  after(() => m?.stop());

  it('is given up (408) once it sends nothing for --update-stall-timeout-seconds, releasing the guard at once: a promote then succeeds', async () => {
    const files = await listing(binDir);
    const upload = startPut(m.url, {
      ...auth(),
      'Content-Digest': digestHeader(Buffer.from('x')),
      'Content-Length': 100_000,
    });
    upload.req.write(Buffer.alloc(1000, 0x61));
    const stalledAt = Date.now();
    // While it holds the guard, a role change cannot begin.
    await waitFor('the upload to hold the operation guard', () => m.instance.operations.isActive('update'), 10_000, 5);
    assert.equal(m.instance.operations.tryBegin('replication'), undefined);
    const answer = await upload.answer;
    const waited = Date.now() - stalledAt;
    assert.equal(answer?.status, 408);
    assert.match(answer.body.detail, new RegExp(`no progress for ${STALL_SECONDS} s after 1000 bytes`));
    assert.equal(answer.headers.connection, 'close');
    assert.ok(waited >= STALL_SECONDS * 1000 - 50, `not given up early (${waited} ms)`);
    // The guard is free the moment the 408 is out.
    await api(m).post('/v1/promote').set(auth()).send({}).expect(200);
    assert.deepEqual(await listing(binDir), files, 'nothing left behind');
  });
});
