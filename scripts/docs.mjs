#!/usr/bin/env node
// `make docs`: renders openapi.yaml into one self-contained HTML page, dist/api.html.
// @redocly/cli prerenders the page but loads Redoc's script from a CDN; we inline that
// script (as a data: module URL) so the page works offline, e.g. from an air-gapped cluster.
// Redoc's bundle comes from the npm package of the same version (its install pulls a
// dependency the registry here lacks, so only the tarball is fetched, once, into .tmp/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'dist', 'api.html');
const cache = join(root, '.tmp', 'redoc');
mkdirSync(cache, { recursive: true });
mkdirSync(dirname(out), { recursive: true });

const raw = join(cache, 'api.raw.html');
execFileSync(
  join(root, 'node_modules/.bin/redocly'),
  ['build-docs', join(root, 'openapi.yaml'), '-o', raw, '--title', 'Redis instance manager API'],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
let html = readFileSync(raw, 'utf8');

const cdn = /https:\/\/cdn\.redocly\.com\/redoc\/v([\d.]+)\/bundles\/redoc\.standalone\.js/;
const match = cdn.exec(html);
if (!match) throw new Error('build-docs output no longer loads Redoc from the CDN; update scripts/docs.mjs');
const version = match[1];
const bundle = join(cache, `redoc-${version}.standalone.js`);
if (!existsSync(bundle)) {
  execFileSync('npm', ['pack', '--loglevel=error', `redoc@${version}`, '--pack-destination', cache], {
    cwd: cache,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('tar', ['xzf', `redoc-${version}.tgz`, 'package/bundles/redoc.standalone.js'], { cwd: cache });
  writeFileSync(bundle, readFileSync(join(cache, 'package/bundles/redoc.standalone.js')));
}
// Redoc's "API docs by Redocly" badge is an image on their CDN: an empty SVG keeps the page offline.
const emptySvg = 'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E';
const script = readFileSync(bundle, 'utf8').replace(
  /https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg/g,
  emptySvg,
);
const dataUrl = `data:text/javascript;base64,${Buffer.from(script).toString('base64')}`;
html = html.replace(/<link rel="modulepreload"[^>]*redoc\.standalone\.js[^>]*>/g, '');
html = html.split(match[0]).join(dataUrl);
if (cdn.test(html) || /logo-mini/.test(script)) throw new Error('the page still loads Redoc or its badge from a CDN');
writeFileSync(out, html);
console.log(`wrote ${out} (${Math.round(html.length / 1024)} KiB, Redoc ${version} inlined)`);
