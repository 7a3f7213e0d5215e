// The point of no return: the verified staging file replaces the installed bundle by
// rename(2), which is atomic on one filesystem: a crash leaves either the old file or the
// new one, never a mix. The new file gets the old one's mode; the directory is synced so
// the rename survives a power loss.
import { chmod, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function installOver(stagingFile: string, installedPath: string): Promise<void> {
  const { mode } = await stat(installedPath);
  await chmod(stagingFile, mode & 0o7777);
  await rename(stagingFile, installedPath);
  const dir = await open(dirname(installedPath), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
