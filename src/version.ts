// The manager's version. The bundle has it compiled in by scripts/build.mjs (esbuild
// `define`); running from source it is read from package.json.
import { readFileSync } from 'node:fs';

declare const __IM_VERSION__: string | undefined;

function sourceVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `${pkg.version}-dev`;
}

export const MANAGER_VERSION: string = typeof __IM_VERSION__ === 'string' ? __IM_VERSION__ : sourceVersion();
