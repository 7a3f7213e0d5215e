// Who this manager process is: its version, the hash of the file it runs from, and a
// session id that is new at every start, so the operator can tell that an exec happened.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MANAGER_VERSION } from '../version.js';
import { isStagingName } from './upgrade/receive-upload.js';

export interface ManagerIdentity {
  version: string;
  executableHash: string | null;
  sessionId: string;
  /** The file this process runs from: the installed bundle, or a new build on trial. */
  executablePath: string | null;
}

/** The bundle's file name: only a bundle has a meaningful executable hash. */
export const BUNDLE_NAME = 'instance-manager.mjs';

/** True for a file the manager runs from as a bundle: the installed one, or a new build on trial. */
export function isBundlePath(path: string | undefined): path is string {
  if (path === undefined) return false;
  const name = basename(path);
  return name === BUNDLE_NAME || isStagingName(name);
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
