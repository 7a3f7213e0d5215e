// Writes need the operator token: missing, malformed, wrong, rotated and unconfigured tokens.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { api } from '../helpers/api.js';
import { auth, startTestManager, TEST_TOKEN, type TestManager } from '../helpers/manager.js';
import { contractOperations } from '../helpers/contract.js';

/** Every operation that needs the token, with a body that would otherwise be valid. */
const protectedOperations = contractOperations().filter(({ operation }) => {
  const security = (operation.security as object[] | undefined) ?? [{ operatorToken: [] }];
  return security.length > 0;
});

function concrete(path: string): string {
  return path.replace('{id}', 'abc');
}

describe('authentication', () => {
  let m: TestManager;
  const logLines: string[] = [];
  before(async () => {
    m = await startTestManager({ logLines });
  });
  after(() => m.stop());

  it('covers every protected operation in the contract', () => {
    const names = protectedOperations.map((o) => o.operation.operationId).sort();
    assert.deepEqual(names, [
      'deleteBackup',
      'demote',
      'fence',
      'getBackup',
      'listBackups',
      'promote',
      'startBackup',
      'unfence',
      'update',
    ]);
  });

  for (const { method, path, operation } of protectedOperations) {
    it(`${operation.operationId}: 401 with WWW-Authenticate when the token is missing, malformed or wrong`, async () => {
      const call = () => api(m)[method as 'get'](concrete(path));
      const missing = await call().expect(401);
      assert.equal(missing.headers['www-authenticate'], 'Bearer');
      const malformed = await call().set('Authorization', 'Token abc').expect(401);
      assert.equal(malformed.headers['www-authenticate'], 'Bearer error="invalid_token"');
      const wrong = await call().set(auth('not-the-token')).expect(401);
      assert.equal(wrong.headers['www-authenticate'], 'Bearer error="invalid_token"');
      assert.equal(wrong.body.detail, 'the bearer token is not valid');
    });
  }

  it('authenticates before reading the body: an unauthenticated upload is refused unread', async () => {
    const res = await api(m)
      .put('/v1/update')
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Digest', `sha-256=:${'A'.repeat(43)}=:`)
      .send(Buffer.alloc(1024 * 1024))
      .expect(401);
    assert.equal(res.body.status, 401);
  });

  it('authenticates before validating: a bad body without a token is 401, not 400', async () => {
    await api(m).post('/v1/demote').send({ primaryPort: 'nope' }).expect(401);
  });

  it('accepts the token (the operation itself may not have landed yet: 501)', async () => {
    const res = await api(m).post('/v1/promote').set(auth());
    assert.notEqual(res.status, 401);
  });

  it('follows a rotated token without a restart', async () => {
    await writeFile(m.tokenFile, 'rotated-token-value\n');
    try {
      await api(m).post('/v1/promote').set(auth()).expect(401);
      const res = await api(m).post('/v1/promote').set(auth('rotated-token-value'));
      assert.notEqual(res.status, 401);
    } finally {
      await writeFile(m.tokenFile, `${TEST_TOKEN}\n`);
    }
  });

  it('never writes a token into a response or a log line', async () => {
    await api(m).post('/v1/promote').set(auth('leaky-guess-123')).expect(401);
    await api(m).post('/v1/promote').set(auth());
    const text = logLines.join('\n');
    assert.ok(text.length > 0);
    assert.ok(!text.includes(TEST_TOKEN));
    assert.ok(!text.includes('leaky-guess-123'));
    assert.ok(!(await readFile(`${m.dataDir}/redis.conf`, 'utf8')).includes(TEST_TOKEN));
  });

  it('leaves reads open: probes, metrics and status need no token', async () => {
    await api(m).get('/healthz').expect(200);
    await api(m).get('/readyz').expect(200);
    const status = await api(m).get('/v1/status').expect(200);
    // Without the TLS flags the API is plain HTTP and writes take the token alone.
    assert.deepEqual((status.body as { manager: { tls: unknown } }).manager.tls, {
      enabled: false,
      clientCertificates: false,
      certificate: null,
      reloadError: null,
    });
  });
});

describe('authentication with no token configured', () => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager({ token: null });
  });
  after(() => m.stop());

  it('refuses every write, even with a plausible token (fail closed)', async () => {
    const res = await api(m).post('/v1/promote').set(auth()).expect(401);
    assert.match(res.body.detail, /no operator token is configured/);
    await api(m).post('/v1/demote').set(auth('')).send({ primaryHost: 'x' }).expect(401);
  });

  it('still serves reads', async () => {
    await api(m).get('/v1/status').expect(200);
  });
});
