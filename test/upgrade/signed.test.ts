// Signed upgrades: with --update-public-key-file, an update must carry a Bundle-Signature
// made by the matching private key, exactly as openssl (or cosign) prints it. Keys and
// signatures are made with openssl at test time: ECDSA P-256 against a manager running from
// its bundle (a good signature installs and execs), Ed25519 in-process (a good signature
// gets past the check to the self-test, which then refuses the test body).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { update } from '../../generated/client/src/index.js';
import { loadUpdateKey } from '../../src/domain/upgrade/bundle-signature.js';
import { api } from '../helpers/api.js';
import { auth, startTestManager, TEST_TOKEN, type TestManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/tmp.js';
import { buildBundle, digestHeader, listing, startBundledManager, type BundledManager } from './bundles.js';
import { expectStatus, putFetch } from './raw-put.js';

const run = promisify(execFile);

async function openssl(args: string[]): Promise<Buffer> {
  const { stdout } = await run('openssl', args, { encoding: 'buffer', maxBuffer: 1 << 20 });
  return stdout;
}

/** A key pair made by `openssl genpkey`: the private key's file, and the public key's. */
async function keyPair(dir: string, name: string, algorithm: string[]): Promise<{ key: string; pub: string }> {
  const key = join(dir, `${name}.pem`);
  const pub = join(dir, `${name}.pub`);
  await openssl(['genpkey', ...algorithm, '-out', key]);
  await openssl(['pkey', '-in', key, '-pubout', '-out', pub]);
  return { key, pub };
}

/** What `openssl dgst -sha256 -sign key file | base64` prints (what cosign sign-blob prints too). */
async function signEcdsa(key: string, file: string): Promise<string> {
  return (await openssl(['dgst', '-sha256', '-sign', key, file])).toString('base64');
}

/** What `openssl pkeyutl -sign -rawin -inkey key -in file | base64` prints. */
async function signEd25519(key: string, file: string): Promise<string> {
  return (await openssl(['pkeyutl', '-sign', '-rawin', '-inkey', key, '-in', file])).toString('base64');
}

/** sha256 of the public key's DER SubjectPublicKeyInfo, as the status reports it. */
async function fingerprint(pub: string): Promise<string> {
  const der = await openssl(['pkey', '-pubin', '-in', pub, '-outform', 'DER']);
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

describe('signed upgrades (ECDSA P-256, a manager running from its bundle)', function () {
  this.timeout(90_000);
  let dir: string;
  let ec: { key: string; pub: string };
  let m: BundledManager;
  let good: { file: string; bytes: Buffer };
  let installedBytes: Buffer;

  before(async () => {
    dir = await tempDir('im-keys-');
    ec = await keyPair(dir, 'ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const file = await buildBundle('9.9.9');
    good = { file, bytes: await readFile(file) };
    m = await startBundledManager('1.0.0-base', ['--update-public-key-file', ec.pub]);
    installedBytes = await readFile(m.bundle);
  });
  after(() => m?.stop());

  const put = (headers: Record<string, string>) =>
    putFetch(m.url, { ...auth(), 'Content-Digest': digestHeader(good.bytes), ...headers }, good.bytes);

  async function assertUnchanged(files: string[]) {
    assert.deepEqual(await readFile(m.bundle), installedBytes, 'the installed bundle is byte-for-byte unchanged');
    assert.deepEqual(await listing(m.binDir), files, 'nothing else written');
    const status = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(status.manager.version, '1.0.0-base');
  }

  it('the status says updates must be signed, with the key’s fingerprint', async () => {
    const status = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(status.manager.updateSignatureRequired, true);
    assert.equal(status.manager.updatePublicKeyFingerprint, await fingerprint(ec.pub));
  });

  it('no Bundle-Signature: 400, nothing on disk changes', async () => {
    const files = await listing(m.binDir);
    const res = expectStatus(await put({}), 400);
    assert.match(res.body.detail, /Bundle-Signature is required/);
    await assertUnchanged(files);
  });

  it('a Bundle-Signature that is not base64: 400, nothing on disk changes', async () => {
    const files = await listing(m.binDir);
    expectStatus(await put({ 'Bundle-Signature': 'not base64!' }), 400);
    await assertUnchanged(files);
  });

  it('a signature of other bytes, or by another key: 422, nothing on disk changes', async () => {
    const files = await listing(m.binDir);
    const other = join(dir, 'other.bin');
    await writeFile(other, 'something else');
    const wrongBytes = expectStatus(await put({ 'Bundle-Signature': await signEcdsa(ec.key, other) }), 422);
    assert.match(wrongBytes.body.detail, /Bundle-Signature does not verify/);
    const stranger = await keyPair(dir, 'stranger', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    expectStatus(await put({ 'Bundle-Signature': await signEcdsa(stranger.key, good.file) }), 422);
    await assertUnchanged(files);
  });

  it('a good signature: installed and exec’d (new session), through the client’s update()', async () => {
    const before = (await api(m).get('/v1/status').expect(200)).body;
    const signature = await signEcdsa(ec.key, good.file);
    const outcome = await update({ baseUrl: m.url, token: TEST_TOKEN }, good.bytes, { signature, timeoutMs: 60_000 });
    assert.equal(outcome.version, '9.9.9');
    assert.notEqual(outcome.sessionId, before.manager.sessionId);
    const after = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(after.manager.version, '9.9.9');
    assert.equal(after.manager.updateSignatureRequired, true, 'the new build reads the key too');
    assert.deepEqual(await readFile(m.bundle), good.bytes);
  });
});

describe('signed upgrades (Ed25519, in-process)', function () {
  this.timeout(60_000);
  let dir: string;
  let ed: { key: string; pub: string };
  let m: TestManager;
  let bundle: string;
  before(async () => {
    dir = await tempDir('im-keys-');
    ed = await keyPair(dir, 'ed', ['-algorithm', 'ed25519']);
    m = await startTestManager({ raw: { updatePublicKeyFile: ed.pub } });
    bundle = join(await tempDir('im-bin-'), 'instance-manager.mjs');
    await copyFile(await buildBundle('1.0.0-base'), bundle);
    m.instance.identity.executablePath = bundle;
  });
  after(() => m?.stop());

  // A body that fails its self-test: a signature that verifies gets exactly that far.
  const body = Buffer.from("console.error('a signed test body'); process.exit(3);\n");

  it('a good Ed25519 signature is accepted (the body then fails its self-test); a bad one is 422 first', async () => {
    const file = join(dir, 'body.mjs');
    await writeFile(file, body);
    const headers = { ...auth(), 'Content-Digest': digestHeader(body) };
    const signed = expectStatus(
      await putFetch(m.url, { ...headers, 'Bundle-Signature': await signEd25519(ed.key, file) }, body),
      422,
    );
    assert.match(signed.body.detail, /^self-test failed: the new build exited 3; it said: a signed test body$/);
    const other = join(dir, 'other.bin');
    await writeFile(other, 'other bytes');
    const bad = expectStatus(
      await putFetch(m.url, { ...headers, 'Bundle-Signature': await signEd25519(ed.key, other) }, body),
      422,
    );
    assert.match(bad.body.detail, /Bundle-Signature does not verify .*\(ed25519\)/);
    const status = (await api(m).get('/v1/status').expect(200)).body;
    assert.equal(status.manager.updatePublicKeyFingerprint, await fingerprint(ed.pub));
  });

  it('without a key, the manager warns at start that updates are unsigned, and says so in its status', async () => {
    const lines: string[] = [];
    const unsigned = await startTestManager({ logLines: lines });
    try {
      assert.ok(lines.some((l) => /"level":"warn".*"msg":"updates are unsigned/.test(l)));
      const status = (await api(unsigned).get('/v1/status').expect(200)).body;
      assert.equal(status.manager.updateSignatureRequired, false);
      assert.equal(status.manager.updatePublicKeyFingerprint, null);
    } finally {
      await unsigned.stop();
    }
  });

  it('a key file that is not ECDSA P-256 or Ed25519, or not a key at all, stops the manager at start naming it', async () => {
    const rsa = await keyPair(dir, 'rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const p384 = await keyPair(dir, 'p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'not a key\n');
    await assert.rejects(loadUpdateKey(rsa.pub), /rsa\.pub holds a rsa key; only ECDSA P-256 and Ed25519/);
    await assert.rejects(loadUpdateKey(p384.pub), /p384\.pub holds a ec secp384r1 key/);
    await assert.rejects(loadUpdateKey(junk), /junk\.pem is not a PEM public key/);
    await assert.rejects(loadUpdateKey(join(dir, 'missing.pem')), /cannot read .*missing\.pem: ENOENT/);
    await assert.rejects(startTestManager({ raw: { updatePublicKeyFile: rsa.pub } }), /--update-public-key-file/);
  });
});
