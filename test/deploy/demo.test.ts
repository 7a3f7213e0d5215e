// `make demo` as a newcomer runs it: it must end with the requested primary, replicas that
// follow it and every key, and leave nothing behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

describe('make demo', function () {
  this.timeout(180_000);

  it('switches node-0 → node-1 through the client, loses no key, and cleans up', async () => {
    const { stdout } = await run('make', ['--no-print-directory', '-s', 'demo'], { cwd: root, maxBuffer: 1 << 20 });
    const lines = stdout.split('\n');
    const row = (table: string, node: string) => {
      const start = lines.findIndex((l) => l === table);
      return lines
        .slice(start)
        .find((l) => l.trim().startsWith(node))!
        .trim()
        .split(/\s{2,}/);
    };
    assert.equal(row('before the switchover', 'node-0')[2], 'primary');
    assert.equal(row('before the switchover', 'node-1')[2], 'replica');
    const after = ['node-0', 'node-1', 'node-2'].map((n) => row('after the switchover', n));
    assert.deepEqual(
      after.map((r) => r[2]),
      ['replica', 'primary', 'replica'],
    );
    const newPrimary = after[1][1];
    assert.ok(after[0][5].startsWith(`${newPrimary} (up)`) && after[2][5].startsWith(`${newPrimary} (up)`), stdout);
    assert.match(stdout, /^OK {3}node-1 is the primary$/m);
    assert.match(stdout, /^OK {3}no key lost \(1000 of 1000 on node-1\)$/m);
    assert.doesNotMatch(stdout, /^FAIL/m);
    const dir = /data in (\S+)/.exec(stdout)![1];
    assert.match(stdout, /cleaned up$/m);
    assert.equal(existsSync(dir), false, 'the demo left its directory behind');
  });
});
