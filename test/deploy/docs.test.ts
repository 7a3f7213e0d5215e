// `make docs` renders the contract into one self-contained page: opened in headless
// Chromium with every network request refused, it lists every operation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { contractOperations } from '../helpers/contract.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';

describe('API reference (make docs)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let page: string;

  before(async function () {
    assert.ok(existsSync(CHROMIUM), 'Debian chromium is not installed (make deps installs it)');
    page = join(await tempDir('im-docs-'), 'api.html');
    await run(process.execPath, [join(root, 'scripts/docs.mjs'), page], {
      env: { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
  });

  it('renders every operation, offline, with Redoc running', async () => {
    const context = await browser.newContext();
    const outside: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (err) => errors.push(err.message));
    await tab.goto(`file://${page}`, { waitUntil: 'domcontentloaded', timeout: 90_000 });
    // Redoc lists each tag's operations as "METHOD /path" once it has hydrated.
    await tab.getByText('Operations').first().waitFor({ timeout: 60_000 });
    // Sections further down render as they come into view.
    await tab.getByText('upgrade', { exact: true }).last().scrollIntoViewIfNeeded();
    await tab.mouse.wheel(0, 100_000);
    await tab.getByText('/v1/update').first().waitFor({ timeout: 30_000 });
    // Redoc renders (and re-renders) sections as the page scrolls, so one reading of the
    // page's text can miss a section that is being redrawn: the page is read at the bottom
    // and at the top, again and again (for at most 30 s), until every operation was seen.
    const wanted = contractOperations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    const seen = new Set<string>();
    let title = false;
    for (let round = 0, deadline = Date.now() + 30_000; seen.size < wanted.length && Date.now() < deadline; round++) {
      await tab.mouse.wheel(0, round % 2 === 0 ? -100_000 : 100_000);
      await tab.waitForTimeout(250);
      const text = (await tab.locator('body').innerText()).replace(/\s+/g, ' ');
      for (const operation of wanted) if (text.includes(operation)) seen.add(operation);
      title ||= text.includes('Redis instance manager (0.1.0)');
    }
    assert.deepEqual(
      wanted.filter((operation) => !seen.has(operation)),
      [],
      'operations not on the page',
    );
    assert.ok(title, 'the title with the version');
    assert.deepEqual(outside, [], 'the page tried to load something from outside');
    assert.deepEqual(errors, []);
    await context.close();
  });
});
