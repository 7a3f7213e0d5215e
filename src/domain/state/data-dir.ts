// The data directory holds the dataset, the generated redis.conf (and the secrets file it
// includes) and the manager's state file: only the user the manager runs as may enter it.
// It is made 0700 before anything is written into it, and one left more open (by an older
// version, or created by hand) is tightened. Redis's own files inside are 0600 through the
// umask it is started with (supervision/supervisor.ts).
import { chmod, mkdir, stat } from 'node:fs/promises';
import type { Logger } from 'pino';

export const DATA_DIR_MODE = 0o700;

/** Creates the data directory 0700 (parents included), or tightens an existing one we own. */
export async function prepareDataDir(dataDir: string, log: Logger): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const st = await stat(dataDir);
  const mode = st.mode & 0o777;
  if ((mode & ~DATA_DIR_MODE) === 0) return;
  const from = mode.toString(8).padStart(4, '0');
  try {
    await chmod(dataDir, DATA_DIR_MODE);
    log.info({ dataDir, from, to: '0700' }, 'data directory permissions tightened');
  } catch (err) {
    // Not ours to change (a volume mounted with another owner): say so, and carry on.
    log.warn(
      { dataDir, mode: from, code: (err as NodeJS.ErrnoException).code },
      'the data directory is open to other users and cannot be tightened to 0700',
    );
  }
}
