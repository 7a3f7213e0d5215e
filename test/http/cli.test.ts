// The command line of the bundle as deployed: --version, and configuration errors that name
// the bad value before anything starts (a --redis-server that is not a supported Redis too).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const bundle = join(root, 'dist/instance-manager.mjs');

describe('command line (dist/instance-manager.mjs)', function () {
  this.timeout(30_000);
  before(async () => {
    await run(process.execPath, [join(root, 'scripts/build.mjs')]);
  });

  it('--version prints the compiled-in version', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const { stdout } = await run(process.execPath, [bundle, '--version']);
    assert.equal(stdout, `${pkg.version}\n`);
  });

  it("loads Node's built-ins with require: starting does not load undici", async () => {
    // An ES import of node:http reads its lazy WebSocket export, which loads undici (a fifth
    // of the bundle's start-up); scripts/build.mjs turns built-in imports into require().
    const dir = await tempDir('im-cli-');
    const probe = join(dir, 'loaded.cjs');
    await writeFile(
      probe,
      "process.on('exit', () => process.stderr.write(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici')))));",
    );
    const { stdout, stderr } = await run(process.execPath, ['--require', probe, bundle, '--version']);
    assert.match(stdout, /^\S+\n$/);
    assert.deepEqual(JSON.parse(stderr), []);
    // The same start with an ES import of node:http does load it: the check can fail.
    const esm = join(dir, 'esm.mjs');
    await writeFile(esm, "import { createServer } from 'node:http'; void createServer;");
    const { stderr: esmStderr } = await run(process.execPath, ['--require', probe, esm]);
    assert.notDeepEqual(JSON.parse(esmStderr), []);
  });

  const bad: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['run', '--redis-port', '70000'], {}, /invalid configuration: --redis-port: 70000 is out of range 1..65535/],
    [['run', '--initial-role', 'boss'], {}, /--initial-role: "boss" must be primary or replica/],
    [['run'], { IM_LISTEN: 'nowhere' }, /--listen: "nowhere" is not host:port/],
    [['run', '--frobnicate'], {}, /unknown option "--frobnicate"/],
  ];
  for (const [argv, env, message] of bad) {
    it(`exits 2 on ${argv.slice(1).join(' ') || JSON.stringify(env)} with a message naming the value`, async () => {
      await assert.rejects(
        run(process.execPath, [bundle, ...argv], { env: { ...process.env, ...env } }),
        (err: { code: number; stderr: string }) => {
          assert.equal(err.code, 2);
          assert.match(err.stderr, message);
          return true;
        },
      );
    });
  }

  describe('--redis-server that cannot be run: exit 2 before anything starts, naming it', () => {
    const cases: [string, (dir: string) => Promise<string>, RegExp][] = [
      ['missing', async (dir) => join(dir, 'redis-server'), /was not found or is not executable/],
      ['not Redis (/bin/true)', async () => '/bin/true', /--version did not name a Redis or Valkey version/],
      [
        'older than 5.0 (what redis-server 4.0.14 prints for --version)',
        async (dir) => {
          const binary = join(dir, 'redis-server');
          await writeFile(
            binary,
            '#!/bin/sh\necho "Redis server v=4.0.14 sha=00000000:0 malloc=jemalloc-4.0.3 bits=64 build=1"\n',
            { mode: 0o755 },
          );
          return binary;
        },
        /is Redis 4\.0\.14; the oldest version this manager supports is Redis 5\.0/,
      ],
    ];
    for (const [what, binaryIn, message] of cases) {
      it(what, async () => {
        const dir = await tempDir('im-cli-');
        const binary = await binaryIn(dir);
        const args = ['run', '--listen', '127.0.0.1:0', '--data-dir', join(dir, 'data'), '--redis-port', '1'];
        await assert.rejects(
          run(process.execPath, [bundle, ...args, '--redis-server', binary]),
          (err: { code: number; stderr: string }) => {
            assert.equal(err.code, 2, err.stderr);
            assert.match(err.stderr, /invalid configuration: --redis-server: /);
            assert.match(err.stderr, message);
            assert.ok(err.stderr.includes(binary), 'names the binary');
            return true;
          },
        );
      });
    }
  });

  it('exits 2 with usage on an unknown command', async () => {
    await assert.rejects(
      run(process.execPath, [bundle, 'dance']),
      (err: { code: number; stderr: string }) => err.code === 2 && /usage:/.test(err.stderr),
    );
  });
});
