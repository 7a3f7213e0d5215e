// Who this manager process is: its version, the hash of the file it runs from, and a
// session id that is new at every start, so the operator can tell that an exec happened.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MANAGER_VERSION } from '../version.js';

export interface ManagerIdentity {
  version: string;
  executableHash: string | null;
  sessionId: string;
  executablePath: string | null;
}

/** The bundle's file name: only a bundle has a meaningful executable hash. */
export const BUNDLE_NAME = 'instance-manager.mjs';

export async function identifyManager(entry = process.argv[1]): Promise<ManagerIdentity> {
  const isBundle = entry !== undefined && basename(entry) === BUNDLE_NAME;
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
