// Every way an update can be refused, against a manager running from a bundle: each gets
// its status code and a problem document, and afterwards the installed file, the directory
// it lives in and the running process (same PID, same session) are all unchanged.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { isStagingName } from '../../src/domain/upgrade/bundle-files.js';
import { ProblemError, update } from '../../generated/client/src/index.js';
import { api } from '../helpers/api.js';
import { auth, TEST_TOKEN } from '../helpers/manager.js';
import { waitFor } from '../helpers/wait.js';
import {
  buildBundle,
  digestHeader,
  listing,
  sha256Of,
  startBundledManager,
  waitForNoBridge,
  type BundledManager,
} from './bundles.js';
import { expectStatus, putFetch, putRaw, startPut } from './raw-put.js';

/** A build whose self-test never ends (it prints, then waits). */
const HANGS = Buffer.from("console.log('starting'); setInterval(() => {}, 1000);\n");

// Well above the bundle (about 3 MiB) so valid uploads fit, small enough to send quickly.
const MAX_BYTES = 16 * 1024 * 1024;

describe('PUT /v1/update refusals (nothing installed, nothing changed)', function () {
  this.timeout(60_000);
  let m: BundledManager;
  let good: Buffer;
  let initial: { listing: string[]; sha256: string; sessionId: string; pid: number };

  before(async () => {
    good = await readFile(await buildBundle('9.9.9'));
    m = await startBundledManager('1.0.0-base', [
      '--update-max-bytes',
      String(MAX_BYTES),
      '--update-self-test-timeout-ms',
      '3000',
    ]);
    const status = (await api(m).get('/v1/status').expect(200)).body;
    initial = {
      listing: await listing(m.binDir),
      sha256: await sha256Of(m.bundle),
      sessionId: status.manager.sessionId,
      pid: status.redis.pid,
    };
  });
  after(() => m?.stop());

  /** Nothing installed, no staging file left, the same manager session and Redis. */
  async function assertUnchanged() {
    // A refused upload's staging file is removed before the answer; an aborted one right after.
    await waitFor(
      'no staging file left',
      async () => !(await listing(m.binDir)).some((l) => isStagingName(l.split(' ')[0])),
      5000,
    );
    assert.deepEqual(await listing(m.binDir), initial.listing);
    assert.equal(await sha256Of(m.bundle), initial.sha256);
    const status = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(status.manager.sessionId, initial.sessionId, 'the manager did not restart');
    assert.equal(status.manager.version, '1.0.0-base');
    assert.equal(status.manager.upgrading, false);
    assert.equal(status.redis.pid, initial.pid);
    assert.equal(m.child.exitCode, null);
  }

  const put = (body: Uint8Array, digest?: string) =>
    putFetch(m.url, { ...auth(), ...(digest === undefined ? {} : { 'Content-Digest': digest }) }, body);

  it('no token or a wrong token: 401, nothing written to disk', async () => {
    // An unauthenticated upload is refused and its connection closed unread (hardening item 8,
    // tested with a large body in test/http). A client still writing a large body when the
    // connection closes may see the close (EPIPE) before the answer; this one fits in a write.
    const small = good.subarray(0, 16 * 1024);
    const digest = digestHeader(small);
    const none = await putFetch(m.url, { 'Content-Digest': digest }, small);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    const wrong = await putFetch(m.url, { ...auth('not-the-token'), 'Content-Digest': digest }, small);
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /^Bearer error="invalid_token"/);
    assert.deepEqual(await listing(m.binDir), initial.listing, 'not even a staging file was made');
    await assertUnchanged();
  });

  it('no Content-Digest: 400', async () => {
    const res = expectStatus(await put(good), 400);
    assert.match(res.body.detail, /content-digest/i);
    await assertUnchanged();
  });

  it('a malformed Content-Digest: 400', async () => {
    for (const digest of [
      'sha-256=abc',
      `sha-512=:${good.subarray(0, 64).toString('base64')}:`,
      'sha-256=:c2hvcnQ=:',
    ]) {
      expectStatus(await put(good, digest), 400);
    }
    await assertUnchanged();
  });

  it('a digest that does not match the body: 422', async () => {
    const res = expectStatus(await put(good, digestHeader(Buffer.from('something else'))), 422);
    assert.match(res.body.detail, /not the one in Content-Digest/);
    await assertUnchanged();
  });

  it('a truncated build whose digest is of the whole file: 422', async () => {
    expectStatus(await put(good.subarray(0, good.length / 2), digestHeader(good)), 422);
    await assertUnchanged();
  });

  it('an upload cut off mid-body (connection dropped): nothing installed, the next update is not blocked', async () => {
    const upload = startPut(m.url, { ...auth(), 'Content-Digest': digestHeader(good), 'Content-Length': good.length });
    upload.req.write(good.subarray(0, 256 * 1024));
    await waitFor('the staging file to appear', async () =>
      (await listing(m.binDir)).some((l) => isStagingName(l.split(' ')[0])),
    );
    upload.req.destroy();
    assert.equal(await upload.answer, null);
    await assertUnchanged();
    expectStatus(await put(Buffer.from('x'), digestHeader(Buffer.from('y'))), 422);
  });

  it('a file that is not JavaScript: 422 whose detail is Node’s one-line complaint, without paths or stack', async () => {
    const junk = Buffer.from('\u0000\u0001 this is { not javascript ]]]');
    const res = expectStatus(await put(junk, digestHeader(junk)), 422);
    assert.match(res.body.detail, /^self-test failed: the new build exited 1; it said: SyntaxError: /);
    // Node's own output starts with the staging file's URL and ends with a stack: neither is kept.
    assert.doesNotMatch(res.body.detail, /file:|\/|\n|\bat \S+ \(|upload-|Node\.js v/);
    await assertUnchanged();
  });

  it('a build that throws while loading: 422 naming the error, not where it was thrown', async () => {
    const throws = Buffer.from("throw new TypeError('cannot read /opt/secret/place');\n");
    const res = expectStatus(await put(throws, digestHeader(throws)), 422);
    assert.equal(res.body.detail, 'self-test failed: the new build exited 1; it said: TypeError: cannot read <path>');
    await assertUnchanged();
  });

  it('a build that exits 1 in its self-test: 422 with its output in the detail', async () => {
    const broken = Buffer.from("console.error('this build is broken'); process.exit(1);\n");
    const res = expectStatus(await put(broken, digestHeader(broken)), 422);
    assert.equal(res.body.detail, 'self-test failed: the new build exited 1; it said: this build is broken');
    await assertUnchanged();
  });

  it('a build that hangs in its self-test: 422 once the self-test times out', async () => {
    const res = expectStatus(await put(HANGS, digestHeader(HANGS)), 422);
    assert.match(res.body.detail, /did not finish within 3000 ms; it said: starting$/);
    await assertUnchanged();
  });

  it('while a self-test runs, the running build alone answers: the bridge started beside it never accepts', async () => {
    let refused = false;
    const refusal = put(HANGS, digestHeader(HANGS)).finally(() => (refused = true));
    // Each on a new connection (Connection: close), which the kernel gives to whichever
    // process accepts on the socket: a bridge that accepted would hold the read until it
    // ended and answer the write 503. The write is one the manager refuses whatever the
    // state (a bad body: 400), so it changes nothing however the update goes.
    const statuses = new Set<number>();
    let writes = 0;
    while (!refused) {
      statuses.add((await api(m).get('/v1/status').set('Connection', 'close')).status);
      const write = await api(m).post('/v1/promote').set(auth()).set('Connection', 'close').send({ other: 1 });
      assert.equal(write.status, 400, write.text);
      writes++;
    }
    expectStatus(await refusal, 422);
    assert.deepEqual([...statuses], [200]);
    assert.ok(writes > 1, `${writes} writes while the self-test ran`);
    // The bridge was told to go without ever being told to accept: it logged nothing.
    await waitForNoBridge(m.dataDir);
    assert.ok(!m.output().includes('"module":"bridge"'), m.output());
    await assertUnchanged();
  });

  it('a build whose self-test cannot parse this manager’s configuration: 422 naming the flag', async () => {
    // What a new build that dropped or renamed a flag this manager runs with would do.
    const strict = Buffer.from(
      "if (process.argv.includes('--update-max-bytes')) { console.error('instance-manager: invalid configuration: unknown option \"--update-max-bytes\"'); process.exit(2); } console.log('9.9.9');\n",
    );
    const res = expectStatus(await put(strict, digestHeader(strict)), 422);
    assert.match(
      res.body.detail,
      /exited 2; it said: instance-manager: invalid configuration: unknown option "--update-max-bytes"$/,
    );
    await assertUnchanged();
  });

  it('the client’s update() surfaces a refusal as a ProblemError, without waiting', async () => {
    const broken = Buffer.from("console.error('broken'); process.exit(1);\n");
    await assert.rejects(
      update({ baseUrl: m.url, token: TEST_TOKEN }, broken, { timeoutMs: 30_000 }),
      (err: unknown) => err instanceof ProblemError && err.status === 422 && /broken/.test(err.problem.detail ?? ''),
    );
    await assert.rejects(
      update({ baseUrl: m.url, token: 'wrong-token' }, good, { timeoutMs: 30_000 }),
      (err: unknown) => err instanceof ProblemError && err.status === 401,
    );
    await assertUnchanged();
  });

  it('a build that prints no version: 422', async () => {
    const silent = Buffer.from('process.exitCode = 0;\n');
    const res = expectStatus(await put(silent, digestHeader(silent)), 422);
    assert.match(res.body.detail, /reported no version/);
    await assertUnchanged();
  });

  it('a body over --update-max-bytes with Content-Length: 413 before any of it is stored', async () => {
    const big = Buffer.alloc(MAX_BYTES + 1, 0x61);
    const answer = await putFetch(m.url, { ...auth(), 'Content-Digest': digestHeader(big) }, big);
    assert.equal(answer.status, 413);
    assert.match(answer.body.detail, new RegExp(`limit of ${MAX_BYTES} bytes`));
    await assertUnchanged();
  });

  it('a streamed body (no Content-Length) that grows past the limit: 413, reading stops, the staging file is removed', async () => {
    const big = Buffer.alloc(MAX_BYTES + 512 * 1024, 0x61);
    const answer = await putRaw(
      m.url,
      { ...auth(), 'Content-Digest': digestHeader(big), 'Transfer-Encoding': 'chunked' },
      big,
    );
    assert.equal(answer?.status, 413);
    assert.equal(answer.headers.connection, 'close');
    await assertUnchanged();
  });

  it('a second update while one is being received: 409; the first still completes on its own merits', async () => {
    // The first upload carries a digest that will not match, so even when it completes it installs nothing.
    const first = startPut(m.url, {
      ...auth(),
      'Content-Digest': digestHeader(Buffer.from('other')),
      'Content-Length': good.length,
    });
    first.req.write(good.subarray(0, 128 * 1024));
    // A probe that is harmless either way: 422 until the first holds the update, then 409.
    const probe = Buffer.from('probe');
    const conflict = await waitFor('the second update to be refused with 409', async () => {
      const res = await put(probe, digestHeader(Buffer.from('no match')));
      return res.status === 409 ? res : undefined;
    });
    assert.match(conflict.body.detail, /an update is in progress/);
    first.req.end(good.subarray(128 * 1024));
    const answer = await first.answer;
    assert.equal(answer?.status, 422);
    await assertUnchanged();
  });

  it('the wrong media type: 415', async () => {
    await api(m)
      .put('/v1/update')
      .set(auth())
      .set('Content-Type', 'application/json')
      .set('Content-Digest', digestHeader(good))
      .send('{}')
      .expect(415);
    await assertUnchanged();
  });
});
