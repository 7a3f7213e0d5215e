// The bridge accepts through the exec of an upgrade (src/domain/upgrade/bridge.ts). The new
// build is held at its very start (a preload module, through NODE_OPTIONS, which the exec
// keeps, blocks it while a file says so), so for that long only the bridge can accept:
//   - a liveness probe is answered while the new build is still held;
//   - a readiness probe and a status read made meanwhile are answered by the new build;
//   - a write made meanwhile is answered 503 with Retry-After, never handed on;
//   - afterwards no bridge process is left, running or as a zombie.
// Over plain HTTP, and over HTTPS with client certificates (the bridge serves the same pair,
// and a write that came with a good certificate still gets the 503: it cannot be handed on).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { update } from '../../generated/client/src/index.js';
import { pemOf, testPki } from '../helpers/certs.js';
import { TEST_TOKEN } from '../helpers/manager.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { buildBundle, startBundledManager, waitForNoBridge, type BundledManager } from './bundles.js';

/**
 * Blocks the process it is preloaded into when it is the new build that an exec starts (it
 * runs from the staging file, with the run command; its self-test runs other commands), until
 * TEST_RELEASE_FILE appears; TEST_HELD_FILE says it is held.
 */
const HOLD_PRELOAD = `
import { existsSync, writeFileSync } from 'node:fs';
if (/[.]upload-[0-9a-f]+[.]mjs$/.test(process.argv[1]) && process.argv[2] === 'run') {
  writeFileSync(process.env.TEST_HELD_FILE, '');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(process.env.TEST_RELEASE_FILE)) Atomics.wait(pause, 0, 0, 20);
}
`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the new build had been released when the answer came. */
  released: boolean;
}

interface Held {
  m: BundledManager;
  releaseFile: string;
  heldFile: string;
  /** What every request of the test carries: for HTTPS, the CA and the operator's client certificate. */
  tls: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
}

/** A manager whose next new build, once exec'd, is held at its start until released. */
async function heldManager(extra: string[], tls: Held['tls']): Promise<Held> {
  const dir = await tempDir('im-bridge-');
  const preload = join(dir, 'hold.mjs');
  await writeFile(preload, HOLD_PRELOAD);
  const heldFile = join(dir, 'held');
  const releaseFile = join(dir, 'release');
  const m = await startBundledManager('1.0.0-base', extra, {
    NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
    TEST_HELD_FILE: heldFile,
    TEST_RELEASE_FILE: releaseFile,
  });
  return { m, heldFile, releaseFile, tls };
}

function send(held: Held, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(path, held.m.url);
  const options: RequestOptions = { method, headers, agent: false, ...held.tls };
  return new Promise((resolve, reject) => {
    const req = (held.tls ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body, released: existsSync(held.releaseFile) }),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

/** One upgrade to `version` with the new build held at its start; the test's assertions. */
async function upgradeThroughBridge(held: Held, version: string): Promise<void> {
  const { m } = held;
  const status = JSON.parse((await send(held, 'GET', '/v1/status')).body) as { redis: { pid: number } };
  const client = {
    baseUrl: m.url,
    token: TEST_TOKEN,
    ...(held.tls && { tls: { ca: held.tls.ca, cert: held.tls.cert, key: held.tls.key } }),
  };
  const updating = update(client, await readFile(await buildBundle(version)), { timeoutMs: 60_000 });
  await waitFor('the new build to be held at its start', () => existsSync(held.heldFile), 60_000);

  // All sent while the new build is held.
  const probe = send(held, 'GET', '/healthz');
  const readiness = send(held, 'GET', '/readyz');
  const read = send(held, 'GET', '/v1/status?verbose=1');
  const write = send(held, 'POST', '/v1/backup', { Authorization: `Bearer ${TEST_TOKEN}` });
  // The new build is let go once the probe is answered (or after a while: without a
  // bridge nothing answers until it is, and the assertion below says so).
  await Promise.race([probe, new Promise((resolve) => setTimeout(resolve, 3000))]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await writeFile(held.releaseFile, '');

  const liveness = await probe;
  assert.equal(liveness.status, 200);
  assert.equal(liveness.released, false, 'answered while the new build was still held: by the bridge');
  assert.deepEqual(JSON.parse(liveness.body), { alive: true, pid: status.redis.pid });

  const ready = await readiness;
  assert.equal(ready.status, 200, ready.body);
  assert.equal(ready.released, true);
  const after = await read;
  assert.equal(after.status, 200, after.body);
  assert.equal((JSON.parse(after.body) as { manager: { version: string } }).manager.version, version);

  const refused = await write;
  assert.equal(refused.status, 503, refused.body);
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.headers['content-type'], 'application/problem+json');
  assert.match((JSON.parse(refused.body) as { detail: string }).detail, /new build/);

  assert.equal((await updating).version, version);
  await waitForNoBridge(m.dataDir);
  // The manager still answers on the same port.
  assert.equal((await send(held, 'GET', '/healthz')).status, 200);
  // The bridge said what it did, on the container's standard error.
  const line = m
    .output()
    .split('\n')
    .find((l) => l.includes('"module":"bridge"'));
  assert.ok(line, 'the bridge logged its end');
  const tally = JSON.parse(line) as { answered: number; handedOn: number; refused: number };
  assert.ok(tally.answered >= 1, line);
  assert.ok(tally.handedOn >= 2, line);
  assert.ok(tally.refused >= 1, line);
}

describe('the bridge through the exec of an upgrade', function () {
  this.timeout(120_000);
  let held: Held | undefined;
  afterEach(async () => {
    await held?.m.stop();
    held = undefined;
  });

  it('over HTTP: answers liveness while the new build is held, hands reads on to it, refuses writes with 503, and goes', async () => {
    held = await heldManager([], undefined);
    await upgradeThroughBridge(held, '9.9.30');
  });

  it('over HTTPS with client certificates: the same, on the same certificate pair', async () => {
    const pki = await testPki();
    const client = await pemOf(pki.client);
    const tls = { ca: await readFile(pki.ca), cert: client.cert, key: client.key };
    held = await heldManager(
      ['--tls-cert-file', pki.server.cert, '--tls-key-file', pki.server.key, '--tls-client-ca-file', pki.ca],
      tls,
    );
    await upgradeThroughBridge(held, '9.9.31');
  });
});
