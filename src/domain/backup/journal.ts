// The backup journal: the durable history of this manager's backups, one file in the data
// directory. Every state change of a backup is one appended line, fsync'd before the append
// resolves; a deletion is a line too. At start the file is read back (the last line of each
// backup wins), so the history survives restarts and the exec of an upgrade.
//
// A line is `<crc32 hex> <json>\n`. A line that is cut short (a crash in the middle of a write)
// or does not check out is skipped with a warning, never fatal: the journal is a record of
// what happened, and the object store, not the journal, holds the backups. The file is
// compacted (rewritten with one line per backup, the newest KEEP of them) when it has grown to
// about twice that, and at start after a bad line, so it stays small and a torn tail is never
// glued to the next append.
import { chmod, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { messageOf } from '../../errors.js';
import { syncDir, writeFileDurably } from '../durable-file.js';
import { newestFirst, recordFromJournal, recordToJournal, type BackupRecord } from './backup-record.js';

export const JOURNAL_NAME = 'backups.journal';
/** Backups kept through a compaction (the newest, by id). */
export const JOURNAL_KEEP = 1000;
/** A larger file is not ours to trust whole: only its last part is read. */
const MAX_READ_BYTES = 16 * 1024 * 1024;
const FORMAT = 1;
const LINE = /^([0-9a-f]{8}) (.+)$/;

type Entry = { v: typeof FORMAT; record: Record<string, unknown> } | { v: typeof FORMAT; deleted: string; at: string };

function line(entry: Entry): string {
  const json = JSON.stringify(entry);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** One line back into an entry; null when it does not check out. */
function parseLine(text: string): { id: string; record: BackupRecord | null } | null {
  const m = LINE.exec(text);
  if (!m || parseInt(m[1], 16) !== crc32(m[2])) return null;
  let entry: Partial<{ v: unknown; record: unknown; deleted: unknown }>;
  try {
    entry = JSON.parse(m[2]) as typeof entry;
  } catch {
    return null;
  }
  if (entry.v !== FORMAT) return null;
  if (typeof entry.deleted === 'string') return { id: entry.deleted, record: null };
  const record = recordFromJournal(entry.record);
  return record ? { id: record.id, record } : null;
}

export interface JournalOpened {
  journal: BackupJournal;
  /** The backups read back, newest first. */
  records: BackupRecord[];
  /** Lines skipped because they were cut short or corrupt. */
  skipped: number;
}

export class BackupJournal {
  /** The last line of each live backup: what a compaction writes. */
  private readonly live = new Map<string, string>();
  private lines = 0;
  /** An append failed part-way: the file may end in a torn line, so it is rewritten first. */
  private damaged = false;
  /** Appends and compactions, one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly dir: string,
    private readonly log: Logger,
    /** False when the file exists but could not be read: it is then never rewritten. */
    private readonly readable: boolean,
    private readonly keep: number,
  ) {}

  /** Reads the journal in `dataDir` back (`keep`: backups kept through a compaction). */
  static async open(dataDir: string, log: Logger, keep = JOURNAL_KEEP): Promise<JournalOpened> {
    const file = join(dataDir, JOURNAL_NAME);
    let text: string;
    try {
      text = await readTail(file, log);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.error({ file, err: messageOf(err) }, 'cannot read the backup journal; starting with no history');
        return { journal: new BackupJournal(file, dataDir, log, false, keep), records: [], skipped: 0 };
      }
      text = '';
    }
    const journal = new BackupJournal(file, dataDir, log, true, keep);
    const records = new Map<string, BackupRecord>();
    const pieces = text.split('\n');
    // The piece after the last newline is empty unless the last write was cut short.
    const tail = pieces.pop() ?? '';
    let skipped = tail === '' ? 0 : 1;
    let firstBad = tail === '' ? 0 : pieces.length + 1;
    pieces.forEach((piece, index) => {
      const parsed = parseLine(piece);
      if (!parsed) {
        skipped++;
        firstBad ||= index + 1;
        return;
      }
      journal.lines++;
      if (parsed.record) {
        records.set(parsed.id, parsed.record);
        journal.live.set(parsed.id, piece + '\n');
      } else {
        records.delete(parsed.id);
        journal.live.delete(parsed.id);
      }
    });
    if (skipped > 0)
      log.warn(
        { file, skipped, firstBadLine: firstBad },
        'skipped backup journal lines that were cut short or corrupt; the rest of the history is kept',
      );
    if (text !== '') await chmod(file, 0o600).catch(() => {});
    if (skipped > 0 || journal.oversized) await journal.compact();
    const kept = [...records.values()].filter((r) => journal.live.has(r.id)).sort(newestFirst);
    return { journal, records: kept, skipped };
  }

  /** Records the backup's current state; resolves once it is on disk. */
  write(record: BackupRecord): Promise<void> {
    const text = line({ v: FORMAT, record: recordToJournal(record) });
    return this.enqueue(async () => {
      await this.append(text);
      this.live.set(record.id, text);
    });
  }

  /** Records that a backup is gone (deleted); it is not read back after this. */
  remove(id: string): Promise<void> {
    const text = line({ v: FORMAT, deleted: id, at: new Date().toISOString() });
    return this.enqueue(async () => {
      await this.append(text);
      this.live.delete(id);
    });
  }

  /** Resolves when every write asked for so far is on disk (or has failed). */
  async flushed(): Promise<void> {
    await this.queue;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.damaged) await this.compact();
      await step();
      if (this.oversized) await this.compact();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private get oversized(): boolean {
    return this.live.size > this.keep || this.lines > 2 * this.live.size + 64;
  }

  private async append(text: string): Promise<void> {
    const created = this.lines === 0 && !(await exists(this.file));
    const handle = await open(this.file, 'a', 0o600);
    try {
      await handle.write(text);
      await handle.datasync();
    } catch (err) {
      this.damaged = true;
      throw err;
    } finally {
      await handle.close();
    }
    this.lines++;
    // A new file's name must survive a crash as well as its content.
    if (created) await syncDir(this.dir);
  }

  /** Rewrites the file with one line per live backup, the newest `keep` of them. */
  private async compact(): Promise<void> {
    if (!this.readable) return;
    const ids = [...this.live.keys()].sort().reverse();
    for (const id of ids.slice(this.keep)) this.live.delete(id);
    const kept = ids.slice(0, this.keep).reverse();
    try {
      await writeFileDurably(this.file, kept.map((id) => this.live.get(id)).join(''));
      this.lines = kept.length;
      this.damaged = false;
    } catch (err) {
      this.log.warn({ file: this.file, err: messageOf(err) }, 'could not compact the backup journal; it keeps growing');
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The file, or its last MAX_READ_BYTES (from the first whole line) when it is larger. */
async function readTail(file: string, log: Logger): Promise<string> {
  const { size } = await stat(file);
  if (size <= MAX_READ_BYTES) return readFile(file, 'utf8');
  log.warn({ file, size }, 'the backup journal is larger than expected; reading only its end');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_READ_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_READ_BYTES, size - MAX_READ_BYTES);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return text.slice(text.indexOf('\n') + 1);
  } finally {
    await handle.close();
  }
}
