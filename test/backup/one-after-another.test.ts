// An operator that sees a backup finished may start the next one at once. The backup's lease
// (one backup at a time, none beside an update) must be free by the time its state reads
// `completed` or `failed`: before, the state changed first and the lease went only after the
// journal's last write, and a next backup started in between got 409 "in progress". The
// state is watched on every turn of the event loop, so the test sees the first moment it
// changes; without storage, so each backup is a quick local save.
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { startTestManager } from '../helpers/manager.js';
import type { BackupView } from '../../src/domain/backup/backup-record.js';

const BACKUPS = 5;

describe('backups one after another', function () {
  this.timeout(60_000);

  it('a backup seen finished never holds up the next: each starts at the first sight of the last one done', async () => {
    const m = await startTestManager();
    try {
      const backups = m.instance.backups;
      const done = async (id: string): Promise<BackupView> => {
        for (;;) {
          await nextTurn();
          const seen = await backups.get(id);
          if (seen.state === 'completed' || seen.state === 'failed') return seen;
        }
      };
      const ids: string[] = [];
      for (let i = 0; i < BACKUPS; i++) {
        // Throws ConflictError (409) while the previous backup's lease is held.
        const started = backups.start({ type: 'rdb', upload: false });
        ids.push(started.id);
        const seen = await done(started.id);
        assert.equal(seen.state, 'completed', seen.error ?? '');
      }
      assert.equal(new Set(ids).size, BACKUPS);
    } finally {
      await m.stop();
    }
  });
});
