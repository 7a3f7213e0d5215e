// A/B upgrades: a new build that passes its self-test but cannot run does not kill the node.
// It is tried from its upload file while the installed bundle stays as it was; when it dies
// (or hangs) before confirming, the previous build is started again under the same
// launcher, adopts the same redis-server, and /v1/status.manager says what happened.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { update, UpdateRolledBackError } from '../../generated/client/src/index.js';
import { isStagingName } from '../../src/domain/upgrade/bundle-files.js';
import { api } from '../helpers/api.js';
import { TEST_TOKEN } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { buildBundle, sha256Of, startBundledManager, type BundledManager } from './bundles.js';

/** A "build" that passes any self-test (it prints a version) and then does `onRun` when run. */
function deceptiveBuild(version: string, onRun: string): Buffer {
  return Buffer.from(
    `if (process.argv[2] === 'self-test') { console.log(${JSON.stringify(version)}); process.exit(0); }\n${onRun}\n`,
  );
}

describe('A/B upgrade: a new build that cannot run is rolled back', function () {
  this.timeout(120_000);
  let m: BundledManager;
  let installed: string;
  before(async () => {
    m = await startBundledManager('1.0.0-base', ['--update-confirm-timeout-seconds', '5']);
    installed = await sha256Of(m.bundle);
  });
  after(() => m?.stop());

  async function assertBackOnTheInstalledBuild(failed: string, before: { sessionId: string; redisPid: number }) {
    const status = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(status.manager.version, '1.0.0-base');
    assert.equal(status.manager.executableHash, installed);
    assert.notEqual(status.manager.sessionId, before.sessionId, 'a new session of the previous build');
    assert.equal(status.manager.confirmed, true);
    assert.equal(status.manager.previousVersion, failed);
    assert.equal(status.manager.rollback?.version, failed);
    assert.equal(status.redis.pid, before.redisPid, 'the same redis-server, adopted again');
    assert.equal(status.redis.restarts, 0);
    assert.equal(await sha256Of(m.bundle), installed, 'the installed bundle was never replaced');
    assert.deepEqual((await readdir(m.binDir)).filter(isStagingName), [], 'the failed build is removed');
    assert.equal(m.child.exitCode, null, 'the launcher never exited');
    return status.manager.rollback!;
  }

  it('one that exits on run: the previous build serves again at once, same Redis, and update() says why', async () => {
    const before = (await api(m).get('/v1/status').expect(200)).body;
    const redis = redisClient(m.redisPort);
    await redis.set('kept', 'yes');
    const crashing = deceptiveBuild('2.0.0-crashes', "console.error('cannot run'); process.exit(1);");
    await assert.rejects(
      update({ baseUrl: m.url, token: TEST_TOKEN }, crashing, { timeoutMs: 60_000 }),
      (err: unknown) =>
        err instanceof UpdateRolledBackError &&
        err.version === '2.0.0-crashes' &&
        /exited with code 1/.test(err.reason),
    );
    const rollback = await assertBackOnTheInstalledBuild('2.0.0-crashes', {
      sessionId: before.manager.sessionId,
      redisPid: before.redis.pid,
    });
    assert.match(
      rollback.reason,
      /^the new build 2\.0\.0-crashes did not confirm: it exited with code 1 before it confirmed$/,
    );
    assert.equal(await redis.get('kept'), 'yes');
    assert.match(
      m.output(),
      /"module":"launcher".*"msg":"the new build exited before it confirmed; starting the previous build"/,
    );
  });

  it('one that hangs instead of serving: killed once --update-confirm-timeout-seconds pass, then rolled back', async () => {
    const before = (await api(m).get('/v1/status').expect(200)).body;
    const hanging = deceptiveBuild('2.0.1-hangs', 'setInterval(() => {}, 1000);');
    await assert.rejects(
      update({ baseUrl: m.url, token: TEST_TOKEN }, hanging, { timeoutMs: 60_000 }),
      (err: unknown) =>
        err instanceof UpdateRolledBackError && err.version === '2.0.1-hangs' && /killed by signal 9/.test(err.reason),
    );
    await assertBackOnTheInstalledBuild('2.0.1-hangs', {
      sessionId: before.manager.sessionId,
      redisPid: before.redis.pid,
    });
  });

  it('after a rollback, a good build still upgrades, and is confirmed and installed', async () => {
    const good = await readFile(await buildBundle('9.9.9'));
    const outcome = await update({ baseUrl: m.url, token: TEST_TOKEN }, good, { timeoutMs: 60_000 });
    assert.equal(outcome.version, '9.9.9');
    const status = await waitFor('the new build to be confirmed', async () => {
      const body = (await api(m).get('/v1/status').expect(200)).body;
      return body.manager.confirmed === true ? body : undefined;
    });
    assert.equal(status.manager.previousVersion, '1.0.0-base');
    assert.equal(status.manager.rollback, null);
    assert.equal(await sha256Of(m.bundle), outcome.sha256, 'the new build is the installed one now');
    assert.deepEqual((await readdir(m.binDir)).filter(isStagingName), []);
  });
});
