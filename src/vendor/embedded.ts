// Third-party code that only some requests need is embedded in the bundle compressed (see
// scripts/build.mjs) instead of as JavaScript: V8 keeps every byte of a script's source in
// memory and pre-parses all of it at start, so each MB of never-run library code in the
// bundle cost an idle manager about 3 MiB of RSS. This decompresses one such module at its
// first use and compiles it in this context (same globals, so `instanceof Error` and
// friends hold), as CommonJS with this bundle's `require` for Node's built-in modules.
// Only the bundle calls it; running from source, src/vendor/*.ts import the packages.
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { compileFunction } from 'node:vm';
import { brotliDecompress, brotliDecompressSync } from 'node:zlib';

const requireBuiltin = createRequire(import.meta.url);

type Exports = Record<string, unknown>;

export function loadEmbedded(name: string, brotliBase64: string): Exports {
  return run(name, brotliDecompressSync(Buffer.from(brotliBase64, 'base64')).toString('utf8'));
}

/**
 * The same, in steps that leave the event loop free between them: decompressed on libuv's
 * thread pool, then compiled and run in a turn of its own (see scripts/build.mjs for which
 * modules are loaded this way).
 */
export async function loadEmbeddedAsync(name: string, brotliBase64: string): Promise<Exports> {
  const source = (await promisify(brotliDecompress)(Buffer.from(brotliBase64, 'base64'))).toString('utf8');
  await new Promise((resolve) => setImmediate(resolve));
  return run(name, source);
}

function run(name: string, source: string): Exports {
  // The file name stack traces show for the embedded module's frames.
  const filename = `${process.argv[1] ?? 'instance-manager.mjs'} [${name}]`;
  const module = { exports: {} as Exports };
  // No loader for import(): the build turns the module's dynamic imports into require().
  const factory = compileFunction(source, ['exports', 'require', 'module'], { filename }) as (
    exports: Exports,
    require: NodeJS.Require,
    module: { exports: Exports },
  ) => void;
  factory(module.exports, requireBuiltin, module);
  return module.exports;
}
