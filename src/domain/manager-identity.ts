// Who this manager process is: its version, the hash of the file it runs from, and a
// session id that is new at every start, so the operator can tell that an exec happened.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MANAGER_VERSION } from '../version.js';
import { isBundlePath } from './upgrade/bundle-files.js';

export interface ManagerIdentity {
  version: string;
  executableHash: string | null;
  sessionId: string;
  /** The file this process runs from: the installed bundle, or a new build on trial. */
  executablePath: string | null;
}

export async function identifyManager(entry = process.argv[1]): Promise<ManagerIdentity> {
  const isBundle = isBundlePath(entry);
  const executableHash = isBundle
    ? createHash('sha256')
        .update(await readFile(entry))
        .digest('hex')
    : null;
  return {
    version: MANAGER_VERSION,
    executableHash,
    sessionId: randomUUID(),
    executablePath: isBundle ? entry : null,
  };
}
