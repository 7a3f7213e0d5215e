// The published client as an operator gets it: compiled, packed with `npm pack`, installed
// from the tarball into a scratch project (offline: openapi-fetch comes from the npm cache)
// and imported from there.
import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

export type PackedClient = typeof import('../../generated/client/src/index.js');

export async function installPackedClient(): Promise<PackedClient> {
  const bin = join(root, 'node_modules/.bin');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  await run(join(bin, 'tsc'), ['-p', 'generated/client/tsconfig.json'], { cwd: root, env });
  const packDir = await tempDir('im-pack-');
  await run('npm', ['pack', './generated/client', '--pack-destination', packDir], { cwd: root, env });
  const tarball = (await readdir(packDir)).find((f) => f.endsWith('.tgz'))!;
  const scratch = await tempDir('im-scratch-');
  await writeFile(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'scratch-operator', private: true, type: 'module' }),
  );
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(packDir, tarball)], { cwd: scratch, env });
  const entry = join(scratch, 'node_modules/redis-instance-manager-client/dist/index.js');
  return (await import(pathToFileURL(entry).href)) as PackedClient;
}
