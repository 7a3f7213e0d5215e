// The published client as the operator gets it: packed with `npm pack`, installed from the
// tarball into a scratch TypeScript project, type-checked, and run against a live manager.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { testPki, type TestPki } from '../helpers/certs.js';
import { startTestManager, TEST_TOKEN, type TestManager } from '../helpers/manager.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules/.bin/tsc');

const PROGRAM = `
import { createClient, eachBackup, ProblemError, TimeoutError, type Schemas } from 'redis-instance-manager-client';
declare const process: { argv: string[] };

const [baseUrl, token, hungUrl, tlsUrl, ca, cert, key, tlsRedisPort] = process.argv.slice(2) as [string, string, string, string, string, string, string, string];
const im = createClient({ baseUrl, token: () => token, timeoutMs: 5000 });
const anonymous = createClient({ baseUrl });

const status: Schemas['Status'] = await im.getStatus();
const health = await im.getHealthz();
const ready = await im.getReadyz();
let unauthenticated: { status: number; title: string; type: string } | null = null;
try {
  await anonymous.demote({ body: { primaryHost: '127.0.0.1', primaryPort: 7000 } });
} catch (err) {
  if (err instanceof ProblemError) unauthenticated = { status: err.status, title: err.problem.title, type: err.problem.type };
}
let notFound: number | null = null;
try {
  await im.getBackup({ path: { id: 'no-such-backup' } });
} catch (err) {
  if (err instanceof ProblemError) notFound = err.status;
}
// A backup (a local save: this manager has no storage), the catalogue paged by eachBackup, a delete.
const started = await im.startBackup({ body: { type: 'rdb', upload: false } });
let backup = await im.getBackup({ path: { id: started.id } });
while (backup.state === 'saving' || backup.state === 'uploading') backup = await im.getBackup({ path: { id: started.id } });
const listed: string[] = [];
for await (const b of eachBackup(im, { pageSize: 1 })) listed.push(b.id + ':' + b.foundIn.join('+'));
const deleted = await im.deleteBackup({ path: { id: started.id }, query: { force: false } });
const afterDelete = (await im.listBackups({ query: { limit: 10 } })).items.length;
let timedOut = false;
try {
  await createClient({ baseUrl: hungUrl, timeoutMs: 200 }).getStatus();
} catch (err) {
  timedOut = err instanceof TimeoutError;
}
// HTTPS with a private CA, a client certificate and the token (--tls-client-ca-file and --token-file).
const secure = createClient({ baseUrl: tlsUrl, token, tls: { ca, cert, key, serverName: 'localhost' }, timeoutMs: 5000 });
const secureStatus = await secure.getStatus();
const promoted = await secure.promote({ body: { timeoutSeconds: 5, force: false } });
const failure = async (call: () => Promise<unknown>): Promise<number | string | null> => {
  try {
    await call();
    return null;
  } catch (err) {
    if (err instanceof ProblemError) return err.status;
    const cause = (err as { code?: string; cause?: { code?: string } });
    return cause.code ?? cause.cause?.code ?? String(err);
  }
};
const tls = {
  tls: secureStatus.manager.tls,
  promoted: promoted.role,
  // A JSON body travels too: a demote to itself is refused for what the body says.
  selfDemote: await secure.demote({ body: { primaryHost: '127.0.0.1', primaryPort: Number(tlsRedisPort) } }).catch((err: unknown) => (err instanceof ProblemError ? err.problem.errors : err)),
  withoutCertificate: await failure(() => createClient({ baseUrl: tlsUrl, token, tls: { ca } }).promote()),
  wrongServerName: await failure(() => createClient({ baseUrl: tlsUrl, tls: { ca, serverName: 'redis.example' } }).getStatus()),
  systemCas: await failure(() => createClient({ baseUrl: tlsUrl, tls: {} }).getStatus()),
  // A server that never finishes the handshake: the call's timeout still holds.
  tlsTimedOut: await createClient({ baseUrl: hungUrl.replace('http:', 'https:'), tls: { ca }, timeoutMs: 200 })
    .getStatus()
    .then(() => false, (err: unknown) => err instanceof TimeoutError),
};
console.log(JSON.stringify({ role: status.role, runId: status.redis.runId, alive: health.alive, ready: ready.ready, unauthenticated, notFound, timedOut, backup: { id: started.id, state: backup.state, listed, deleted, afterDelete }, ...tls }));
`;

// A call the contract does not allow must not compile.
const MISTAKE = `
import { createClient } from 'redis-instance-manager-client';
const im = createClient({ baseUrl: 'http://127.0.0.1:1' });
await im.demote({ body: { primaryHost: 'h', primaryPort: '6379' } });
`;

describe('the client package', function () {
  this.timeout(180_000);
  let m: TestManager;
  let secure: TestManager;
  let pki: TestPki;
  let scratch: string;
  let hung: Server;

  before(async () => {
    m = await startTestManager();
    pki = await testPki();
    secure = await startTestManager({
      raw: { tlsCertFile: pki.server.cert, tlsKeyFile: pki.server.key, tlsClientCaFile: pki.ca },
    });
    // A server that accepts connections and never answers.
    hung = createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => hung.once('listening', r));
    await run(tsc, ['-p', join(root, 'generated/client/tsconfig.json')]);
    scratch = await tempDir('im-client-');
    await run('npm', ['pack', join(root, 'generated/client'), '--pack-destination', scratch], { cwd: scratch });
    const tarball = (await readdir(scratch)).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack produced no tarball');
    await writeFile(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'operator-example', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`], { cwd: scratch });
    await mkdir(join(scratch, 'src'));
    await writeFile(join(scratch, 'src/operator.ts'), PROGRAM);
    await writeFile(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          lib: ['ES2022', 'DOM'],
          types: [],
          outDir: 'out',
          skipLibCheck: false,
        },
        include: ['src'],
      }),
    );
  });
  after(async () => {
    hung.close();
    await m.stop();
    await secure.stop();
  });

  it('installs from the tarball with only its runtime dependency', async () => {
    const installed = await readdir(join(scratch, 'node_modules'));
    assert.ok(installed.includes('redis-instance-manager-client'));
    assert.ok(installed.includes('openapi-fetch'));
  });

  it('type-checks an operator-style program, and rejects a call the contract forbids', async () => {
    await run(tsc, ['-p', join(scratch, 'tsconfig.json')], { cwd: scratch }).catch((err: { stdout: string }) =>
      assert.fail(err.stdout),
    );
    await writeFile(join(scratch, 'src/mistake.ts'), MISTAKE);
    try {
      await assert.rejects(
        run(tsc, ['-p', join(scratch, 'tsconfig.json'), '--noEmit'], { cwd: scratch }),
        (err: { stdout: string }) => /mistake\.ts.*Type 'string' is not assignable to type 'number'/s.test(err.stdout),
      );
    } finally {
      const { rm } = await import('node:fs/promises');
      await rm(join(scratch, 'src/mistake.ts'));
    }
  });

  it('runs against live managers, one on HTTPS with client certificates: typed results, problems as ProblemError, timeouts as TimeoutError', async () => {
    const address = hung.address() as { port: number };
    const pem = (file: string) => readFile(file, 'utf8');
    const { stdout } = await run(
      process.execPath,
      [
        join(scratch, 'out/operator.js'),
        m.url,
        TEST_TOKEN,
        `http://127.0.0.1:${address.port}`,
        secure.url,
        await pem(pki.ca),
        await pem(pki.client.cert),
        await pem(pki.client.key),
        String(secure.redisPort),
      ],
      { cwd: scratch },
    );
    const result = JSON.parse(stdout.trim()) as Record<string, unknown>;
    const status = await fetch(`${m.url}/v1/status`).then((r) => r.json() as Promise<{ redis: { runId: string } }>);
    assert.deepEqual(result, {
      role: 'primary',
      runId: status.redis.runId,
      alive: true,
      ready: true,
      unauthenticated: {
        status: 401,
        title: 'Unauthorized',
        type: 'https://redis-instance-manager.dev/problems/unauthorized',
      },
      notFound: 404,
      timedOut: true,
      tls: {
        enabled: true,
        clientCertificates: true,
        certificate: (result.tls as { certificate: unknown }).certificate,
        reloadError: null,
      },
      promoted: 'primary',
      selfDemote: [{ path: 'primaryHost', message: 'names this instance itself' }],
      withoutCertificate: 401,
      tlsTimedOut: true,
      wrongServerName: 'ERR_TLS_CERT_ALTNAME_INVALID',
      systemCas: result.systemCas,
      backup: {
        id: (result.backup as { id: string }).id,
        state: 'completed',
        listed: [`${(result.backup as { id: string }).id}:journal`],
        deleted: { id: (result.backup as { id: string }).id, deletedObjects: [] },
        afterDelete: 0,
      },
    });
    assert.equal((result.tls as { certificate: { serialNumber: string } }).certificate.serialNumber, pki.server.serial);
    // Without the CA the certificate does not verify against the system's CAs (the server sends
    // its chain, CA included, when it also verifies client certificates against that CA).
    assert.ok(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN'].includes(String(result.systemCas)));
  });
});
