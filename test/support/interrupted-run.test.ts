// An interrupted test run (SIGTERM, as `make` passes on; or Ctrl-C's SIGINT) stops what it
// started: no redis-server, manager or launcher of the run is left, and its directories go.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const root = join(import.meta.dirname, '../..');

/** PIDs of processes working in, or naming, one of `dirs`. */
function processesIn(dirs: string[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (dirs.some((d) => cwd.startsWith(d) || cmdline.includes(d))) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

describe('an interrupted test run', function () {
  this.timeout(120_000);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: stops the managers and redis-servers it started, and removes their directories`, async () => {
      const report = join(await tempDir('im-interrupt-'), 'dirs.json');
      const run = spawn(
        process.execPath,
        // As `make test` runs it (Makefile MOCHA): mocha in this process, with tsx.
        ['--import', 'tsx', join(root, 'node_modules/mocha/lib/cli/cli.js'), 'test/support/interrupt.fixture.ts'],
        { cwd: root, env: { ...process.env, IM_TEST_REPORT: report }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      run.stdout.on('data', (d: Buffer) => (output += d.toString()));
      run.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
      await waitFor(
        'the run to start its managers',
        () => existsSync(report) || (run.exitCode !== null && assert.fail(output)),
        60_000,
      );
      const dirs = JSON.parse(readFileSync(report, 'utf8')) as string[];
      assert.ok(processesIn(dirs).length >= 2, 'the managers and their redis-servers run');

      run.kill(signal);
      assert.equal(await exited, signal === 'SIGINT' ? 130 : 143, output);
      assert.match(output, new RegExp(`${signal}: stopping the managers and redis-servers this run started`));
      assert.deepEqual(processesIn(dirs), [], 'nothing the run started is left running');
      assert.ok(
        dirs.every((d) => !existsSync(d)),
        'its directories are removed',
      );
    });
  }
});
