// The self-test a running manager asks of a new build, from both sides: the command in the
// build (parses the configuration, loads every module, binds nothing, starts no Redis), and
// the one line of a failed child's output that the 422 quotes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeExit } from '../../src/domain/upgrade/build-slots.js';
import { failureLine } from '../../src/domain/upgrade/self-test.js';
import { freePort } from '../helpers/ports.js';
import { listenerOn } from '../helpers/sockets.js';
import { tempDir } from '../helpers/tmp.js';
import { buildBundle } from './bundles.js';

const run = promisify(execFile);

describe('self-test', function () {
  this.timeout(60_000);

  it('`self-test <run flags>` prints the version, binds nothing and starts no Redis', async () => {
    const bundle = await buildBundle('9.9.9');
    const [port, redisPort] = [await freePort(), await freePort()];
    const dataDir = join(await tempDir('im-selftest-'), 'data');
    const { stdout } = await run(process.execPath, [
      bundle,
      'self-test',
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--redis-port',
      String(redisPort),
    ]);
    assert.equal(stdout, '9.9.9\n');
    assert.equal(listenerOn(port), undefined);
    assert.equal(listenerOn(redisPort), undefined);
    await assert.rejects(access(dataDir), /ENOENT/, 'the data directory was not even created');
  });

  it('a configuration the build cannot use: exit 2 naming the flag', async () => {
    const bundle = await buildBundle('9.9.9');
    await assert.rejects(run(process.execPath, [bundle, 'self-test', '--redis-port', '70000']), (err: unknown) => {
      const e = err as { code: number; stderr: string };
      return e.code === 2 && /--redis-port: 70000 is out of range/.test(e.stderr);
    });
    await assert.rejects(
      run(process.execPath, [bundle, 'self-test'], {
        env: { ...process.env, IM_UPDATE_PUBLIC_KEY_FILE: '/nonexistent.pem' },
      }),
      (err: unknown) => (err as { code: number; stderr: string }).code === 2,
    );
  });

  it('the line a failure is reported with: the error, without paths or stack', () => {
    const cases: [string, string][] = [
      [
        'file:///srv/bin/.instance-manager.upload-0123456789ab.mjs:1\n\u0000 junk\n^\n\nSyntaxError: Invalid or unexpected token\n    at compileSourceTextModule (node:internal/modules/esm/utils:346:16)\n\nNode.js v24.9.0\n',
        'SyntaxError: Invalid or unexpected token',
      ],
      [
        "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x' imported from /srv/bin/a.mjs\n    at f (/a.js:1:1)",
        "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'x' imported from <path>",
      ],
      [
        'instance-manager: invalid configuration: --redis-port: 70000 is out of range 1..65535\n',
        'instance-manager: invalid configuration: --redis-port: 70000 is out of range 1..65535',
      ],
      ['starting\n', 'starting'],
      ['', '(no output)'],
      ['/srv/bin/x.mjs:3\n    at y (/srv/z.js:1:1)\n', '(no output)'],
      [`${'x'.repeat(400)}\n`, `${'x'.repeat(300)}…`],
    ];
    for (const [output, line] of cases) assert.equal(failureLine(output), line, JSON.stringify(output));
  });

  it('how a build that died on trial is described, from the launcher’s exit status', () => {
    const cases: [string | undefined, string][] = [
      ['1', 'it exited with code 1 before it confirmed'],
      ['137', 'it was killed by signal 9 before it confirmed'],
      [undefined, 'it never confirmed before the manager was started again'],
    ];
    for (const [status, text] of cases) assert.equal(describeExit(status), text);
  });
});
