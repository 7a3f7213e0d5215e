// Content-Digest (RFC 9530) parsing, and the names of upload staging files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ValidationError } from '../../src/errors.js';
import { formatSha256Digest, parseSha256Digest } from '../../src/domain/upgrade/content-digest.js';
import { isStagingName } from '../../src/domain/upgrade/bundle-files.js';
import { stagingPath } from '../../src/domain/upgrade/receive-upload.js';

const sha = createHash('sha256').update('hello').digest();
const b64 = sha.toString('base64');

describe('Content-Digest (RFC 9530)', () => {
  const accepted: [string, string][] = [
    ['the plain form', `sha-256=:${b64}:`],
    ['with spaces around', `  sha-256=:${b64}:  `],
    ['beside another algorithm', `sha-512=:${Buffer.alloc(64).toString('base64')}:, sha-256=:${b64}:`],
  ];
  for (const [name, header] of accepted) {
    it(`accepts ${name}`, () => assert.deepEqual(parseSha256Digest(header), sha));
  }

  const refused: [string, string | undefined, RegExp][] = [
    ['no header', undefined, /required/],
    ['an empty header', '', /required/],
    ['no colons', `sha-256=${b64}`, /not an RFC 9530/],
    ['a token instead of bytes', 'sha-256=abc', /not an RFC 9530/],
    ['only another algorithm', `sha-512=:${Buffer.alloc(64).toString('base64')}:`, /no sha-256 member/],
    ['too few bytes', `sha-256=:${Buffer.alloc(16).toString('base64')}:`, /32 bytes/],
    ['too many bytes', `sha-256=:${Buffer.alloc(33).toString('base64')}:`, /32 bytes/],
    ['non-canonical base64 (missing padding)', `sha-256=:${b64.replace(/=$/, '')}:`, /32 bytes/],
    ['hex instead of base64', `sha-256=:${sha.toString('hex')}:`, /32 bytes/],
    ['the legacy Digest syntax', `SHA-256=${b64}`, /not an RFC 9530/],
  ];
  for (const [name, header, message] of refused) {
    it(`refuses ${name} with a 400`, () => {
      assert.throws(
        () => parseSha256Digest(header),
        (err: unknown) => err instanceof ValidationError && message.test(err.message),
      );
    });
  }

  it('formats what it parses', () => assert.deepEqual(parseSha256Digest(formatSha256Digest(sha)), sha));
});

describe('staging file names', () => {
  it('are hidden, beside the bundle, end in .mjs and are recognised', () => {
    const path = stagingPath('/app/instance-manager.mjs');
    assert.match(path, /^\/app\/\.instance-manager\.upload-[0-9a-f]{12}\.mjs$/);
    assert.ok(isStagingName(path.slice('/app/'.length)));
    assert.ok(!isStagingName('instance-manager.mjs'));
    assert.notEqual(stagingPath('/app/instance-manager.mjs'), path);
  });
});
