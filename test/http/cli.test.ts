// The command line of the bundle as deployed: --version, and configuration errors that name
// the bad value before anything starts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

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

  it('exits 2 with usage on an unknown command', async () => {
    await assert.rejects(
      run(process.execPath, [bundle, 'dance']),
      (err: { code: number; stderr: string }) => err.code === 2 && /usage:/.test(err.stderr),
    );
  });
});
