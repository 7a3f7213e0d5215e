#!/usr/bin/env node
// Builds the deployable unit: one self-contained ES module, dist/instance-manager.mjs, with
// the contract and every dependency bundled in and the version compiled in. It runs on any
// Node >= 22.15 with nothing else beside it.
//   IM_BUILD_VERSION=1.2.3 IM_BUILD_OUT=/tmp/x.mjs node scripts/build.mjs   (tests build variants)
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const version = process.env.IM_BUILD_VERSION ?? pkg.version;
const outfile = process.env.IM_BUILD_OUT ?? join(root, 'dist', 'instance-manager.mjs');

await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minifySyntax: true,
  // Whitespace only: identifiers stay readable in stack traces.
  minifyWhitespace: true,
  sourcemap: false,
  legalComments: 'none',
  define: { __IM_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __imCreateRequire } from 'node:module'; const require = __imCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
console.log(`built ${outfile} (version ${version})`);
