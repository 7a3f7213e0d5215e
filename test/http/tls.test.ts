// HTTPS on --listen and client certificates for writes, with real certificates made by
// openssl (test/helpers/certs.ts): plain HTTP is refused, reads need no certificate, writes
// need one from the trusted CA (401 none, 403 untrusted, expired or misnamed) before their body
// is read; the pair rotates in place (a Secret's symlink swap) with no failed request, and
// broken files at reload leave the old pair served.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { Agent, request, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { api } from '../helpers/api.js';
import { CLIENT_NAME, pemOf, testPki, type Pair, type TestPki } from '../helpers/certs.js';
import { contractOperations } from '../helpers/contract.js';
import { auth, startTestManager, testPaths, type TestManager } from '../helpers/manager.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { parseExposition, value } from '../metrics/parse.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Serial number of the certificate the server presented on this connection. */
  serial: string;
  socket: TLSSocket;
}

/** One HTTPS request with Node's own client (no session reuse unless an agent keeps the connection). */
function send(url: string, options: RequestOptions & { body?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ...options }, (res) => {
      const socket = res.socket as TLSSocket;
      const serial = socket.getPeerCertificate().serialNumber;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, serial, socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const protectedOperations = contractOperations().filter(({ operation }) => {
  const security = (operation.security as object[] | undefined) ?? [{ operatorToken: [] }];
  return security.length > 0;
});

const concrete = (path: string) => path.replace('{id}', 'abc');

describe('HTTPS with client certificates for writes', function () {
  let pki: TestPki;
  let m: TestManager;
  let ca: Buffer;
  const pems = {} as Record<'good' | 'otherCa' | 'expired' | 'otherName', { cert: Buffer; key: Buffer }>;
  const logLines: string[] = [];

  before(async () => {
    pki = await testPki();
    ca = await readFile(pki.ca);
    pems.good = await pemOf(pki.client);
    pems.otherCa = await pemOf(pki.otherCaClient);
    pems.expired = await pemOf(pki.expiredClient);
    pems.otherName = await pemOf(pki.otherNameClient);
    m = await startTestManager({
      logLines,
      raw: {
        tlsCertFile: pki.server.cert,
        tlsKeyFile: pki.server.key,
        tlsClientCaFile: pki.ca,
        tlsClientName: CLIENT_NAME,
      },
    });
  });
  after(() => m.stop());

  it('refuses plain HTTP on the TLS listener', async () => {
    const plain = m.url.replace('https:', 'http:');
    await assert.rejects(
      new Promise((resolve, reject) => httpGet(`${plain}/healthz`, resolve).on('error', reject)),
      (err: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(err.code ?? '') || /hang up/.test(err.message),
    );
  });

  it('serves reads without a client certificate, and reports TLS in /v1/status', async () => {
    await api(m).get('/healthz').ca(ca).expect(200);
    await api(m).get('/readyz').ca(ca).expect(200);
    await api(m).get('/metrics').ca(ca).expect(200);
    const status = await api(m).get('/v1/status').ca(ca).expect(200);
    const tls = (status.body as { manager: { tls: Record<string, unknown> } }).manager.tls;
    assert.equal(tls.enabled, true);
    assert.equal(tls.clientCertificates, true);
    assert.equal(tls.reloadError, null);
    assert.equal((tls.certificate as { serialNumber: string }).serialNumber, pki.server.serial);
    // A scraper that presents a certificate of its own (untrusted here) is still served.
    await api(m).get('/metrics').ca(ca).cert(pems.otherCa.cert).key(pems.otherCa.key).expect(200);
  });

  it('exposes the certificate expiry as a gauge in unix seconds', async () => {
    const res = await api(m).get('/metrics').ca(ca).expect(200);
    const series = parseExposition(res.text);
    const notAfter = (await import('node:crypto')).X509Certificate;
    const expected = new Date(new notAfter(await readFile(pki.server.cert)).validTo).getTime() / 1000;
    assert.equal(value(series, 'instance_manager_tls_certificate_expiry_timestamp_seconds'), expected);
    assert.equal(value(series, 'instance_manager_tls_certificate_last_reload_successful'), 1);
  });

  for (const { method, path, operation } of protectedOperations) {
    it(`${operation.operationId}: 401 without a certificate; 403 from another CA, expired or with another name`, async () => {
      const call = () => api(m)[method as 'get'](concrete(path)).ca(ca).set(auth());
      const none = await call().expect(401);
      assert.equal(none.headers['www-authenticate'], 'ClientCertificate');
      assert.match((none.body as { detail: string }).detail, /needs a client certificate/);
      const otherCa = await call().cert(pems.otherCa.cert).key(pems.otherCa.key).expect(403);
      assert.equal((otherCa.body as { type: string }).type, 'https://redis-instance-manager.dev/problems/forbidden');
      assert.match((otherCa.body as { detail: string }).detail, /UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
      const expired = await call().cert(pems.expired.cert).key(pems.expired.key).expect(403);
      assert.match((expired.body as { detail: string }).detail, /CERT_HAS_EXPIRED/);
      const otherName = await call().cert(pems.otherName.cert).key(pems.otherName.key).expect(403);
      assert.match((otherName.body as { detail: string }).detail, /--tls-client-name/);
      // A good certificate does not replace the token when --token-file is set.
      const noToken = await api(m)
        [method as 'get'](concrete(path))
        .ca(ca)
        .cert(pems.good.cert)
        .key(pems.good.key)
        .expect(401);
      assert.equal(noToken.headers['www-authenticate'], 'Bearer');
    });
  }

  it('takes a write with a good certificate and the token; the request log names the client', async () => {
    const res = await api(m)
      .post('/v1/promote')
      .ca(ca)
      .cert(pems.good.cert)
      .key(pems.good.key)
      .set(auth())
      .set('X-Request-Id', 'tls-write-1')
      .expect(200);
    assert.equal((res.body as { role: string }).role, 'primary');
    await waitFor('the request log line', () => logLines.find((l) => l.includes('"tls-write-1"')));
    const line = JSON.parse(logLines.find((l) => l.includes('"tls-write-1"'))!) as { client?: string };
    assert.match(line.client ?? '', /^CN=redis-operator sha256=([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('answers 401 and 403 before the body is read: an upload that never comes is refused', async () => {
    // Headers promise 64 MiB that are never sent: only a server that does not read the body answers.
    const upload = (pem?: { cert: Buffer; key: Buffer }) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${m.url}/v1/update`, {
          method: 'PUT',
          agent: false,
          ca,
          ...pem,
          headers: {
            ...auth(),
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(64 * 1024 * 1024),
            'Content-Digest': `sha-256=:${'A'.repeat(43)}=:`,
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    assert.equal(await upload(), 401);
    assert.equal(await upload(pems.otherCa), 403);
  });
});

describe('HTTPS with client certificates and no token file', () => {
  let m: TestManager;
  let ca: Buffer;
  let good: { cert: Buffer; key: Buffer };
  before(async () => {
    const pki = await testPki();
    ca = await readFile(pki.ca);
    good = await pemOf(pki.client);
    m = await startTestManager({
      token: null,
      raw: { tlsCertFile: pki.server.cert, tlsKeyFile: pki.server.key, tlsClientCaFile: pki.ca },
    });
  });
  after(() => m.stop());

  it('takes a write on the certificate alone, and still refuses one without it', async () => {
    await api(m).post('/v1/promote').ca(ca).cert(good.cert).key(good.key).expect(200);
    await api(m).post('/v1/promote').ca(ca).expect(401);
  });
});

/**
 * A directory laid out as the kubelet mounts a Secret: the files are symlinks through
 * `..data`, and an update writes a new timestamped directory and swaps `..data` atomically.
 */
async function secretVolume(
  initial: Pair,
): Promise<{ dir: string; swap(pair: { cert: string; key: string }): Promise<void> }> {
  const dir = await tempDir('im-secret-');
  let version = 0;
  const swap = async (pair: { cert: string; key: string }) => {
    const data = `..${++version}`;
    await mkdir(join(dir, data));
    await copyFile(pair.cert, join(dir, data, 'tls.crt'));
    await copyFile(pair.key, join(dir, data, 'tls.key'));
    await symlink(data, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  await swap(initial);
  await symlink('..data/tls.crt', join(dir, 'tls.crt'));
  await symlink('..data/tls.key', join(dir, 'tls.key'));
  return { dir, swap };
}

describe('certificate rotation', function () {
  let pki: TestPki;
  let m: TestManager;
  let ca: Buffer;
  let volume: Awaited<ReturnType<typeof secretVolume>>;

  const metric = async (name: string, labels: Record<string, string> = {}) =>
    value(parseExposition((await send(`${m.url}/metrics`, { ca })).body), name, labels);
  const newConnectionSerial = async () => (await send(`${m.url}/healthz`, { ca })).serial;

  before(async () => {
    pki = await testPki();
    ca = await readFile(pki.ca);
    volume = await secretVolume(pki.server);
    m = await startTestManager({
      raw: { tlsCertFile: join(volume.dir, 'tls.crt'), tlsKeyFile: join(volume.dir, 'tls.key') },
    });
  });
  after(() => m.stop());

  it('keeps a keep-alive connection, gives new connections the new certificate, and fails no request while 4 clients loop', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1, ca });
    const held = await send(`${m.url}/v1/status`, { agent: keepAlive, ca });
    assert.equal(held.serial, pki.server.serial);

    // Four clients loop throughout: two open a new connection per request (a handshake each,
    // racing the swap), two keep theirs.
    let looping = true;
    const failures: string[] = [];
    const seen = new Set<string>();
    let requests = 0;
    const loop = async (keep: boolean) => {
      const agent = keep ? new Agent({ keepAlive: true, maxSockets: 1, ca }) : false;
      while (looping) {
        try {
          const res = await send(`${m.url}/healthz`, { agent, ca });
          if (res.status !== 200) failures.push(`status ${res.status}`);
          seen.add(res.serial);
          requests++;
        } catch (err) {
          failures.push(String(err));
        }
      }
      if (agent) agent.destroy();
    };
    const loops = [loop(false), loop(false), loop(true), loop(true)];
    try {
      await waitFor('requests from every looping client', () => requests >= 20);
      await volume.swap(pki.rotated);
      await waitFor('a new connection to see the new certificate', async () => {
        return (await newConnectionSerial()) === pki.rotated.serial || undefined;
      });
      const before = requests;
      await waitFor('more requests after the swap', () => requests >= before + 20);
    } finally {
      looping = false;
      await Promise.all(loops);
    }
    assert.deepEqual(failures, []);
    assert.ok(seen.has(pki.server.serial) && seen.has(pki.rotated.serial), [...seen].join(','));

    // The connection held since before the swap still works, on the pair it was made with.
    const again = await send(`${m.url}/v1/status`, { agent: keepAlive, ca });
    assert.equal(again.status, 200);
    assert.equal(again.socket, held.socket);
    assert.equal(again.serial, pki.server.serial);
    keepAlive.destroy();

    assert.equal(await metric('instance_manager_tls_certificate_reloads_total'), 1);
    const status = JSON.parse((await send(`${m.url}/v1/status`, { ca })).body) as {
      manager: { tls: { certificate: { serialNumber: string } } };
    };
    assert.equal(status.manager.tls.certificate.serialNumber, pki.rotated.serial);
  });

  it('keeps serving the old pair when the new files are broken or expired, says why, and takes good files again', async () => {
    const served = await newConnectionSerial();
    const garbage = join(pki.dir, 'garbage.key');
    await writeFile(garbage, 'not a key\n');

    await volume.swap({ cert: pki.server.cert, key: garbage });
    await waitFor(
      'the invalid key to be counted',
      async () =>
        (await metric('instance_manager_tls_certificate_reload_failures_total', { reason: 'invalid' })) === 1 ||
        undefined,
    );
    assert.equal(await newConnectionSerial(), served);
    assert.equal(await metric('instance_manager_tls_certificate_last_reload_successful'), 0);
    const status = await api(m).get('/v1/status').ca(ca).expect(200);
    assert.match(
      (status.body as { manager: { tls: { reloadError: string } } }).manager.tls.reloadError,
      /^--tls-key-file .*tls\.key: not a usable unencrypted PEM private key/,
    );

    await volume.swap(pki.expiredServer);
    await waitFor(
      'the expired certificate to be counted',
      async () =>
        (await metric('instance_manager_tls_certificate_reload_failures_total', { reason: 'expired' })) === 1 ||
        undefined,
    );
    assert.equal(await newConnectionSerial(), served);

    await volume.swap(pki.server);
    await waitFor(
      'the good pair to be served',
      async () => (await newConnectionSerial()) === pki.server.serial || undefined,
    );
    assert.equal(await metric('instance_manager_tls_certificate_last_reload_successful'), 1);
    const fixed = await api(m).get('/v1/status').ca(ca).expect(200);
    assert.equal((fixed.body as { manager: { tls: { reloadError: null } } }).manager.tls.reloadError, null);
  });
});

describe('TLS files at start', () => {
  it('an expired certificate stops the manager with a message naming the file and the reason, before Redis starts', async () => {
    const pki = await testPki();
    const { dataDir, redisPort } = await testPaths({ token: null });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '../../src/main.ts'),
        'run',
        '--listen',
        `127.0.0.1:${await freePort()}`,
        '--data-dir',
        dataDir,
        '--redis-port',
        String(redisPort),
        '--tls-cert-file',
        pki.expiredServer.cert,
        '--tls-key-file',
        pki.expiredServer.key,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2, stderr);
    assert.equal(
      stderr.trim(),
      `instance-manager: invalid configuration: --tls-cert-file ${pki.expiredServer.cert}: the certificate expired on 2020-01-02T00:00:00.000Z`,
    );
    assert.ok(!existsSync(join(dataDir, 'redis.conf')), 'nothing was started');
  });
});
