// The names of the files beside the installed bundle (the A/B layout is described in
// build-slots.ts), as pure functions of a path. Kept apart, with nothing but node:path, because
// the launch reads them before the port is served: there every module loaded is time a
// connection waits in the backlog (crypto and fs/promises came in with build-slots.ts).
import { basename, dirname, join } from 'node:path';

/** The installed bundle's file name: only a bundle has a meaningful executable hash. */
export const BUNDLE_NAME = 'instance-manager.mjs';

export const RECORD_NAME = '.instance-manager.upgrade.json';

export const COMPILE_CACHE_NAME = '.instance-manager.compile-cache';

/** `<dir>/.<name>.upload-<hex>.mjs` for the installed file `<dir>/<name>.mjs`. */
export function stagingPathWith(installedPath: string, hex: string): string {
  const name = basename(installedPath).replace(/\.mjs$/, '');
  return join(dirname(installedPath), `.${name}.upload-${hex}.mjs`);
}

/** True for a name stagingPathWith gives with 12 hex digits (tests check that none is left behind). */
export function isStagingName(name: string): boolean {
  return /^\..*\.upload-[0-9a-f]{12}\.mjs$/.test(name);
}

/** True for a file the manager runs from as a bundle: the installed one, or a new build on trial. */
export function isBundlePath(path: string | undefined): path is string {
  if (path === undefined) return false;
  const name = basename(path);
  return name === BUNDLE_NAME || isStagingName(name);
}

export function recordPath(installedPath: string): string {
  return join(dirname(installedPath), RECORD_NAME);
}

/** Node's compile cache for uploads (NODE_COMPILE_CACHE of the self-test and of the exec). */
export function compileCacheDir(installedPath: string): string {
  return join(dirname(installedPath), COMPILE_CACHE_NAME);
}

/** The installed bundle for a manager running from `runningPath` (the bundle or a trial). */
export function installedPathFor(runningPath: string): string {
  return join(dirname(runningPath), BUNDLE_NAME);
}
