// `make`'s check for missing Debian packages (scripts/missing-debs.sh): only "install ok
// installed" (or held, "hold ok installed") counts, so a package removed with its configuration files left behind is
// installed again instead of leaving the suite without its redis-server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const script = join(import.meta.dirname, '../../scripts/missing-debs.sh');
const missing = (packages: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync('sh', [script, ...packages], { encoding: 'utf8', env })
    .split('\n')
    .filter(Boolean);

describe('make system-deps: which Debian packages are missing', () => {
  it('asks the real dpkg: an installed package is not missing, an unknown one is', () => {
    assert.deepEqual(missing(['dpkg', 'im-no-such-package-0']), ['im-no-such-package-0']);
  });

  it('counts only "… ok installed": removed-but-configured and half-installed are missing', async () => {
    // dpkg-query's ${Status} for each state a package can be left in (dpkg-query(1)).
    const states: Record<string, string> = {
      'redis-server': 'deinstall ok config-files',
      prometheus: 'install ok installed',
      wrk: 'install ok half-configured',
      'redis-tools': 'install ok unpacked',
      'redis-sentinel': 'hold ok installed',
      'prometheus-redis-exporter': 'install reinstreq half-installed',
    };
    const bin = await tempDir('im-dpkg-');
    const cases = Object.entries(states)
      .map(([name, status]) => `  ${name}) printf '%s' '${status}' ;;`)
      .join('\n');
    await writeFile(
      join(bin, 'dpkg-query'),
      `#!/bin/sh\nfor last; do :; done\ncase "$last" in\n${cases}\n  *) echo "no packages found matching $last" >&2; exit 1 ;;\nesac\n`,
    );
    await chmod(join(bin, 'dpkg-query'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    assert.deepEqual(missing([...Object.keys(states), 'chromium'], env), [
      'redis-server',
      'wrk',
      'redis-tools',
      'prometheus-redis-exporter',
      'chromium',
    ]);
  });
});
