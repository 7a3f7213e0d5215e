// The backup journal on a real file: what is written is read back after a "restart" (a new
// open), a torn or corrupt line is skipped with a warning and the rest kept, deletions stick,
// the file stays bounded by compaction, and it is private to the manager (0600).
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import { newRecord, type BackupRecord } from '../../src/domain/backup/backup-record.js';
import { BackupJournal, JOURNAL_NAME } from '../../src/domain/backup/journal.js';
import { tempDir } from '../helpers/tmp.js';

function logger(lines: string[] = []) {
  return createLogger('info', { write: (line: string) => void lines.push(line) });
}

function record(at: string, edits: Partial<BackupRecord> = {}): BackupRecord {
  return { ...newRecord('rdb', true, new Date(at), 'redis-0'), ...edits };
}

const completed = (r: BackupRecord): BackupRecord => ({
  ...r,
  state: 'completed',
  saveDoneAt: new Date(r.startedAt.getTime() + 1000),
  uploadStartedAt: new Date(r.startedAt.getTime() + 1000),
  finishedAt: new Date(r.startedAt.getTime() + 5000),
  bytesTotal: 1234,
  bytesUploaded: 1234,
  sha256: 'ab'.repeat(32),
  location: `s3://backups/p/${r.id}/`,
});

describe('backup journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('im-journal-');
  });

  it('reads back the last state of every backup, newest first, from a private file', async () => {
    const { journal } = await BackupJournal.open(dir, logger());
    const a = record('2026-11-26T10:00:00Z');
    const b = record('2026-11-26T11:00:00Z', { type: 'aof' });
    await journal.write(a);
    await journal.write(b);
    await journal.write({ ...a, state: 'uploading', multipart: { key: 'p/x/dump.rdb', uploadId: 'u1' } });
    await journal.write(completed(a));
    await journal.write({ ...b, state: 'failed', error: 'no', errorCode: 'save_failed', finishedAt: new Date() });

    const again = await BackupJournal.open(dir, logger());
    assert.equal(again.skipped, 0);
    assert.deepEqual(
      again.records.map((r) => [r.id, r.state]),
      [
        [b.id, 'failed'],
        [a.id, 'completed'],
      ],
    );
    assert.deepEqual(again.records[1], completed(a), 'every field, dates included, survives');
    assert.equal((await stat(join(dir, JOURNAL_NAME))).mode & 0o777, 0o600);
  });

  it('a deleted backup is not read back', async () => {
    const { journal } = await BackupJournal.open(dir, logger());
    const a = record('2026-11-26T10:00:00Z');
    const b = record('2026-11-26T11:00:00Z');
    await journal.write(a);
    await journal.write(b);
    await journal.remove(a.id);
    const again = await BackupJournal.open(dir, logger());
    assert.deepEqual(
      again.records.map((r) => r.id),
      [b.id],
    );
  });

  const damages: { name: string; damage: (file: string) => Promise<void>; skipped: number }[] = [
    {
      name: 'a line cut short (a crash in the middle of a write)',
      damage: async (file) => truncate(file, (await stat(file)).size - 17),
      skipped: 1,
    },
    {
      name: 'garbage appended',
      damage: (file) => appendFile(file, '\u0000\u0000garbage{"v":1'),
      skipped: 1,
    },
    {
      name: 'a flipped byte inside a line (the JSON still parses; the checksum does not match)',
      damage: async (file) => {
        const text = await readFile(file, 'utf8');
        const lines = text.split('\n');
        lines[1] = lines[1].replace('"rdb"', '"aof"');
        await writeFile(file, lines.join('\n'));
      },
      skipped: 1,
    },
  ];
  for (const { name, damage, skipped } of damages) {
    it(`${name}: skipped with a warning, the rest kept, and the next write is whole`, async () => {
      const { journal } = await BackupJournal.open(dir, logger());
      const a = record('2026-11-26T10:00:00Z');
      const b = record('2026-11-26T11:00:00Z');
      await journal.write(completed(a));
      await journal.write(b);
      await journal.write(completed(b));
      await damage(join(dir, JOURNAL_NAME));

      const lines: string[] = [];
      const reopened = await BackupJournal.open(dir, logger(lines));
      assert.equal(reopened.skipped, skipped);
      assert.ok(reopened.records.some((r) => r.id === a.id && r.state === 'completed'));
      const warning = lines.map((l) => JSON.parse(l) as { level: string; msg: string; skipped?: number });
      assert.ok(
        warning.some((l) => l.level === 'warn' && /skipped backup journal lines/.test(l.msg) && l.skipped === skipped),
        lines.join('\n'),
      );

      // The damaged file was rewritten: what is written next reads back without loss.
      const c = record('2026-11-26T12:00:00Z');
      await reopened.journal.write(c);
      const third = await BackupJournal.open(dir, logger());
      assert.equal(third.skipped, 0);
      assert.ok(third.records.some((r) => r.id === c.id));
      assert.ok(third.records.some((r) => r.id === a.id));
    });
  }

  it('a file that is all garbage starts an empty history, never an error', async () => {
    await writeFile(join(dir, JOURNAL_NAME), Buffer.alloc(4096, 0xff));
    const opened = await BackupJournal.open(dir, logger());
    assert.deepEqual(opened.records, []);
    assert.equal(opened.skipped, 1);
  });

  it('stays bounded: compacted to one line per backup, the newest `keep`', async () => {
    const keep = 100;
    const { journal } = await BackupJournal.open(dir, logger(), keep);
    const start = Date.parse('2026-01-01T00:00:00Z');
    const records = Array.from({ length: keep + 50 }, (_, i) => record(new Date(start + i * 60_000).toISOString()));
    for (const r of records) await journal.write(r);
    // Many state changes of one backup: the file does not grow with them.
    const busy = records.at(-1)!;
    for (let i = 0; i < 300; i++) await journal.write({ ...busy, bytesUploaded: i });
    await journal.flushed();

    const lines = (await readFile(join(dir, JOURNAL_NAME), 'utf8')).trim().split('\n').length;
    assert.ok(lines <= 2 * keep + 64, `${lines} lines`);
    const again = await BackupJournal.open(dir, logger(), keep);
    assert.equal(again.records.length, keep);
    assert.equal(again.records[0].id, busy.id);
    assert.equal(again.records[0].bytesUploaded, 299);
    assert.equal(again.records.at(-1)!.id, records[50].id, 'the oldest went first');
  });
});
