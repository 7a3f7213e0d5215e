// Files that must survive a crash or a power loss as a whole: the state file, the upgrade
// record, the backup journal's compaction, a restored dataset. One way to write them:
// a temporary file beside the target (same filesystem), written and fsync'd, renamed over
// the target (atomic: a crash leaves the old file or the new one, never half of either),
// then the directory fsync'd (a rename is durable only once the directory entry is).
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync a directory, so that the entries created or renamed in it are on disk. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `target` with `content`, atomically and durably (see above). On any error the
 * target is untouched and no temporary file is left behind (disk full, I/O error).
 */
export async function writeFileDurably(target: string, content: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dirname(target));
}
