// The bridge accepts through the exec of an upgrade (src/domain/upgrade/bridge.ts). The new
// build is held at its very start (a preload module, through NODE_OPTIONS, which the exec
// keeps, blocks it while a file says so), so for that long only the bridge can accept:
//   - a liveness probe is answered while the new build is still held;
//   - a readiness probe and a status read made meanwhile are answered by the new build;
//   - a write made meanwhile is answered 503 with Retry-After, never handed on;
//   - afterwards no bridge process is left, running or as a zombie.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { get, request } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { update } from '../../generated/client/src/index.js';
import { TEST_TOKEN } from '../helpers/manager.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { buildBundle, startBundledManager, type BundledManager } from './bundles.js';

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

function send(port: number, method: string, path: string, releaseFile: string, headers = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body, released: existsSync(releaseFile) }),
      );
    });
    req.once('error', reject);
    req.end();
  });
}

/** Processes running `instance-manager bridge` for this data directory. */
async function bridgesFor(dataDir: string): Promise<{ pid: number; state: string }[]> {
  const found: { pid: number; state: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (!argv.includes('bridge') || !argv.includes(dataDir)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    found.push({ pid: Number(entry), state: stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[0] });
  }
  return found;
}

describe('the bridge through the exec of an upgrade', function () {
  this.timeout(120_000);
  let m: BundledManager;
  let port: number;
  let heldFile: string;
  let releaseFile: string;

  before(async () => {
    const dir = await tempDir('im-bridge-');
    const preload = join(dir, 'hold.mjs');
    await writeFile(preload, HOLD_PRELOAD);
    heldFile = join(dir, 'held');
    releaseFile = join(dir, 'release');
    m = await startBundledManager('1.0.0-base', [], {
      NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
      TEST_HELD_FILE: heldFile,
      TEST_RELEASE_FILE: releaseFile,
    });
    port = Number(new URL(m.url).port);
  });
  after(() => m?.stop());

  it('answers liveness while the new build is held, hands reads on to it, refuses writes with 503, and goes', async () => {
    const redisPid = (
      JSON.parse((await send(port, 'GET', '/v1/status', releaseFile)).body) as { redis: { pid: number } }
    ).redis.pid;
    const updating = update({ baseUrl: m.url, token: TEST_TOKEN }, await readFile(await buildBundle('9.9.30')), {
      timeoutMs: 60_000,
    });
    await waitFor('the new build to be held at its start', () => existsSync(heldFile), 60_000);

    // All sent while the new build is held.
    const probe = send(port, 'GET', '/healthz', releaseFile);
    const readiness = send(port, 'GET', '/readyz', releaseFile);
    const status = send(port, 'GET', '/v1/status?verbose=1', releaseFile);
    const write = send(port, 'POST', '/v1/backup', releaseFile, { Authorization: `Bearer ${TEST_TOKEN}` });
    // The new build is let go once the probe is answered (or after a while: without a
    // bridge nothing answers until it is, and the assertion below says so).
    await Promise.race([probe, new Promise((resolve) => setTimeout(resolve, 3000))]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await writeFile(releaseFile, '');

    const liveness = await probe;
    assert.equal(liveness.status, 200);
    assert.equal(liveness.released, false, 'answered while the new build was still held: by the bridge');
    assert.deepEqual(JSON.parse(liveness.body), { alive: true, pid: redisPid });

    const ready = await readiness;
    assert.equal(ready.status, 200, ready.body);
    assert.equal(ready.released, true);
    const read = await status;
    assert.equal(read.status, 200, read.body);
    assert.equal((JSON.parse(read.body) as { manager: { version: string } }).manager.version, '9.9.30');

    const refused = await write;
    assert.equal(refused.status, 503, refused.body);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(refused.headers['content-type'], 'application/problem+json');
    assert.match((JSON.parse(refused.body) as { detail: string }).detail, /new build/);

    assert.equal((await updating).version, '9.9.30');
    await waitFor('the bridge to exit', async () => (await bridgesFor(m.dataDir)).length === 0 || undefined, 20_000);
    // And the manager still answers on the same port, with the same Redis.
    const after = await new Promise<number>((resolve) =>
      get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }),
    );
    assert.equal(after, 200);
  });
});
