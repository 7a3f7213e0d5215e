import assert from 'node:assert/strict';
import { rename, symlink, unlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenStore, unusableTokenReason } from '../../src/auth/token.js';
import { UnauthorizedError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';

function rejects(store: TokenStore, header: string | undefined, detail: RegExp, challenge: RegExp) {
  assert.throws(
    () => store.verify(header),
    (err: unknown) =>
      err instanceof UnauthorizedError && detail.test(err.message) && challenge.test(err.headers()['WWW-Authenticate']),
  );
}

describe('operator token', () => {
  it('accepts the token from the file and rejects everything else', async () => {
    const file = join(await tempDir(), 'token');
    await writeFile(file, 'sekret-1\n');
    const store = new TokenStore(file);
    store.verify('Bearer sekret-1');
    store.verify('bearer   sekret-1');
    rejects(store, undefined, /needs the operator token/, /^Bearer$/);
    rejects(store, 'Basic c2VrcmV0', /not of the form/, /invalid_token/);
    rejects(store, 'Bearer', /not of the form/, /invalid_token/);
    rejects(store, 'Bearer sekret-2', /not valid/, /invalid_token/);
    rejects(store, 'Bearer sekret-1x', /not valid/, /invalid_token/);
  });

  it('picks up a rotated token without a restart (Kubernetes ..data symlink swap)', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'v1'));
    await mkdir(join(dir, 'v2'));
    await writeFile(join(dir, 'v1', 'token'), 'old-token');
    await writeFile(join(dir, 'v2', 'token'), 'new-token');
    await symlink('v1', join(dir, '..data'));
    await symlink('..data/token', join(dir, 'token'));
    const store = new TokenStore(join(dir, 'token'));
    store.verify('Bearer old-token');
    await symlink('v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    store.verify('Bearer new-token');
    rejects(store, 'Bearer old-token', /not valid/, /invalid_token/);
  });

  it('/metrics sees a change of the file within a second; a write sees it at once', async () => {
    const file = join(await tempDir(), 'token');
    await writeFile(file, 'sekret-1\n');
    const store = new TokenStore(file);
    const start = Date.now();
    assert.equal(store.stats(start).usable, true);
    await unlink(file);
    assert.equal(store.stats(start + 999).usable, true, 'a scrape within the second reports the last reading');
    assert.equal(store.stats(Date.now() + 1000).usable, false);
    await writeFile(file, 'sekret-2\n');
    store.verify('Bearer sekret-2');
    assert.equal(store.stats(0).usable, true, 'the write looked at the file');
    assert.equal(store.stats(0).failures.get('missing'), 1);
  });

  it('fails closed with no file, a deleted file or an empty file', async () => {
    rejects(new TokenStore(undefined), 'Bearer anything', /no operator token is configured/, /invalid_token/);
    const file = join(await tempDir(), 'token');
    await writeFile(file, '  \n');
    rejects(new TokenStore(file), 'Bearer anything', /no operator token is configured/, /invalid_token/);
    await writeFile(file, 'tok');
    const store = new TokenStore(file);
    store.verify('Bearer tok');
    await unlink(file);
    rejects(store, 'Bearer tok', /no operator token is configured/, /invalid_token/);
  });

  const contents: [string, RegExp | null][] = [
    ['sekret-1', null],
    ['A-Za-z0-9._~+/', null],
    ['YWJjZA==', null],
    ['two words', /whitespace/],
    ['tab\there', /whitespace/],
    ['line\nbreak', /whitespace/],
    ['nul\u0000byte', /control characters/],
    ['sécret', /non-ASCII/],
    ['tøken', /non-ASCII/],
    ['a,b', /cannot carry/],
    ['quoted"token', /cannot carry/],
    ['pad=ding', /cannot carry/],
  ];
  for (const [content, reason] of contents) {
    it(`${JSON.stringify(content)} ${reason === null ? 'can' : 'can never'} be presented as a bearer token`, () => {
      const found = unusableTokenReason(content);
      if (reason === null) assert.equal(found, null);
      else assert.match(found ?? '', reason);
    });
  }
});
