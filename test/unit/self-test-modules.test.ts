// The self-test of a new build (src/domain/upgrade/self-test-command.ts) must load every
// module that src/ imports dynamically: a build whose lazily loaded part is broken would
// otherwise pass it, be exec'd, and fail at the first write or backup.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = join(import.meta.dirname, '../../src');
const selfTest = join(src, 'domain/upgrade/self-test-command.ts');

/** Every .ts file under `dir`, except the client package (its own project, not the bundle). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(src, 'client') ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The files of our own that `file` imports with import('…') (not type-only `typeof import`). */
function dynamicImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?<!typeof |type \w+ = )\bimport\('(\.[^']+)'\)/g)].map((m) =>
    relative(src, resolve(dirname(file), m[1].replace(/\.js$/, '.ts'))),
  );
}

describe('the self-test of a new build', () => {
  it('loads every module that src/ imports dynamically', () => {
    // The self-test itself is what runs it.
    const loaded = new Set([...dynamicImports(selfTest), relative(src, selfTest)]);
    const lazy = sources(src)
      .filter((file) => file !== selfTest)
      .flatMap((file) => dynamicImports(file).map((module) => ({ module, from: relative(src, file) })));
    assert.ok(lazy.length >= 5, 'found the dynamic imports of src/');
    const missing = lazy.filter(({ module }) => !loaded.has(module));
    assert.deepEqual(missing, [], 'modules imported dynamically that self-test-command.ts does not load');
  });
});
