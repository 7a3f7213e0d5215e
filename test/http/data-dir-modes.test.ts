// Only the manager's user may enter the data directory: it is created 0700 before the state
// file is written into it (or tightened when it exists more open), and Redis runs under
// umask 077, so every file in it is 0600 and every directory 0700: the RDB and AOF of a
// backup driven over HTTP included.
import assert from 'node:assert/strict';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { backupAndWait, startBackupManager } from '../backup/support/fixtures.js';
import { testPaths } from '../helpers/manager.js';
import { redisClient } from '../helpers/redis.js';

/** Every entry under dir with its permission bits, as "path mode" lines (octal). */
async function modes(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(
      `${prefix}${entry.name}${entry.isDirectory() ? '/' : ''} ${((await stat(path)).mode & 0o777).toString(8)}`,
    );
    if (entry.isDirectory()) out.push(...(await modes(path, `${prefix}${entry.name}/`)));
  }
  return out.sort();
}

async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

describe('data directory permissions', function () {
  this.timeout(60_000);

  it('a new data directory is 0700 and everything Redis writes in it 0600 (dump.rdb, the AOF, the pidfile)', async () => {
    const m = await startBackupManager({ redisConf: ['appendonly yes'] });
    try {
      await redisClient(m.redisPort).set('k', 'v');
      for (const type of ['rdb', 'aof'] as const) {
        const backup = await backupAndWait(m, { type, upload: false });
        assert.equal(backup.state, 'completed', backup.error ?? '');
      }
      assert.equal(await modeOf(m.dataDir), '700');
      const entries = await modes(m.dataDir);
      for (const name of ['dump.rdb', 'redis.pid', 'redis.conf', 'instance-manager-state.json', 'appendonlydir/'])
        assert.ok(
          entries.some((line) => line.startsWith(`${name} `)),
          `${name} missing in ${entries.join(', ')}`,
        );
      assert.ok(
        entries.some((line) => line.startsWith('appendonlydir/appendonly.aof')),
        entries.join(', '),
      );
      const loose = entries.filter((line) => !(line.split(' ')[0].endsWith('/') ? / 700$/ : / 600$/).test(line));
      assert.deepEqual(loose, []);
    } finally {
      await m.stop();
    }
  });

  it('an existing data directory open to others is tightened to 0700 at start', async () => {
    const { dataDir } = await testPaths();
    await mkdir(dataDir, { mode: 0o755 });
    assert.equal(await modeOf(dataDir), '755');
    const m = await startBackupManager({ dataDir });
    try {
      assert.equal(await modeOf(dataDir), '700');
    } finally {
      await m.stop();
    }
  });
});
