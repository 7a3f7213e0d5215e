#!/usr/bin/env node
// Builds the deployable unit: one self-contained ES module, dist/instance-manager.mjs, with
// the contract and every dependency bundled in and the version compiled in. It runs on any
// Node >= 22.15 with nothing else beside it.
//   IM_BUILD_VERSION=1.2.3 IM_BUILD_OUT=/tmp/x.mjs node scripts/build.mjs   (tests build variants)
//
// The third-party code that only some requests need (src/vendor/*.ts: express, openapi-backend
// and Ajv for the full API, the AWS SDK for backups) is bundled on its own as CommonJS and
// embedded brotli-compressed in place of its module; src/vendor/embedded.ts compiles it at
// its first use. The rest is plain JavaScript as esbuild writes it.
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const version = process.env.IM_BUILD_VERSION ?? pkg.version;
const outfile = process.env.IM_BUILD_OUT ?? join(root, 'dist', 'instance-manager.mjs');
const vendorDir = join(root, 'src', 'vendor');
/** The modules of src/vendor embedded compressed (embedded.ts is the loader, bundled as is). */
const EMBEDDED = ['http-api', 's3'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  minifySyntax: true,
  // Whitespace only: identifiers stay readable in stack traces.
  minifyWhitespace: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

/** The module that stands in for src/vendor/<name>.ts: its exports, read from the embedded code. */
async function embeddedStub(name) {
  const entryPoints = [join(vendorDir, `${name}.ts`)];
  const [esm, cjs] = await Promise.all([
    // Built as ESM only to learn the names it exports.
    build({ ...common, entryPoints, format: 'esm', write: false, metafile: true }),
    // Its dynamic import()s of Node's modules become require(): compiled from a string, the
    // module has no loader of its own to import with.
    build({ ...common, entryPoints, format: 'cjs', supported: { 'dynamic-import': false }, write: false }),
  ]);
  const names = Object.values(esm.metafile.outputs)[0].exports;
  const code = cjs.outputFiles[0].contents;
  const packed = brotliCompressSync(code, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 7, [constants.BROTLI_PARAM_SIZE_HINT]: code.length },
  }).toString('base64');
  const args = `${JSON.stringify(`vendor/${name}`)}, ${JSON.stringify(packed)}`;
  // A module whose one export is an async load() (http-api.ts) is set up in steps: its
  // source is decompressed off the event loop and compiled in a turn of its own, at the
  // first call. Any other is loaded whole, when its module is evaluated.
  if (names.length === 1 && names[0] === 'load') {
    return [
      "import { loadEmbeddedAsync } from './embedded.ts';",
      'let embedded;',
      `export const load = async () => (await (embedded ??= loadEmbeddedAsync(${args}))).load();`,
    ].join('\n');
  }
  return [
    "import { loadEmbedded } from './embedded.ts';",
    `const embedded = loadEmbedded(${args});`,
    ...names.map((n) => `export const ${n} = embedded.${n};`),
  ].join('\n');
}

/**
 * Node's built-in modules are loaded with require(), not import: an ES import of a built-in
 * builds its ES facade, which reads every export, and a few exports are lazy getters that
 * load a whole subsystem. `node:http`'s WebSocket loads undici (29 ms of a 150 ms start,
 * measured with --cpu-prof), `node:tls`'s rootCertificates parses the bundled CA store. Each
 * built-in becomes a CommonJS stand-in, so the bundle reads only the properties it uses.
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    const builtin = new RegExp(`^(node:.*|${builtinModules.join('|')})$`);
    b.onResolve({ filter: builtin }, (args) =>
      args.namespace === 'builtin' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const stubs = new Map(await Promise.all(EMBEDDED.map(async (name) => [name, await embeddedStub(name)])));

await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile,
  format: 'esm',
  define: { __IM_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __imCreateRequire } from 'node:module'; const require = __imCreateRequire(import.meta.url);",
  },
  plugins: [
    builtinsByRequire,
    {
      name: 'embedded-vendor-modules',
      setup(b) {
        b.onLoad({ filter: /[\\/]src[\\/]vendor[\\/][^\\/]+\.ts$/ }, (args) => {
          const name = args.path.slice(vendorDir.length + 1, -'.ts'.length);
          return stubs.has(name) ? { contents: stubs.get(name), loader: 'js', resolveDir: vendorDir } : undefined;
        });
      },
    },
  ],
});
console.log(`built ${outfile} (version ${version})`);
