// The TLS pieces that need no server: the checks a pair must pass (at start they are
// configuration errors naming the file and the reason), and how a client certificate's names
// are read and matched against --tls-client-name.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TlsConfig } from '../../src/config/config.js';
import { carriesName, subjectAltNames } from '../../src/auth/client-certificate.js';
import { ConfigError } from '../../src/errors.js';
import { TlsFileError, TlsTransport, type TlsFailureReason } from '../../src/http/tls.js';
import { testPki, type TestPki } from '../helpers/certs.js';
import { tempDir } from '../helpers/tmp.js';

describe('TLS files (src/http/tls.ts)', () => {
  let pki: TestPki;
  let garbage: string;
  let directory: string;
  before(async () => {
    pki = await testPki();
    const dir = await tempDir('im-tls-unit-');
    garbage = join(dir, 'garbage.pem');
    await writeFile(garbage, 'not PEM at all\n');
    directory = join(dir, 'a-directory');
    await mkdir(directory);
  });

  const config = (over: Partial<TlsConfig>): TlsConfig => ({
    certFile: pki.server.cert,
    keyFile: pki.server.key,
    clientCaFile: undefined,
    clientName: undefined,
    ...over,
  });

  it('loads a good pair (with a client CA) and reports it', () => {
    const transport = TlsTransport.load(config({ clientCaFile: pki.ca }));
    const status = transport.status();
    assert.equal(status.enabled, true);
    assert.equal(status.clientCertificates, true);
    assert.equal(status.certificate?.serialNumber, pki.server.serial);
    assert.equal(status.certificate?.subject, 'CN=localhost');
    assert.equal(status.reloadError, null);
    assert.equal(transport.serverOptions().requestCert, true);
    assert.equal(transport.serverOptions().rejectUnauthorized, false);
    assert.equal(TlsTransport.load(config({})).serverOptions().requestCert, false);
  });

  const refused: [string, () => Partial<TlsConfig>, string, TlsFailureReason, RegExp][] = [
    [
      'a missing certificate',
      () => ({ certFile: '/nonexistent/tls.crt' }),
      '--tls-cert-file',
      'missing',
      /no such file/,
    ],
    ['an unreadable key', () => ({ keyFile: directory }), '--tls-key-file', 'unreadable', /cannot be read \(EISDIR\)/],
    [
      'a certificate that is not PEM',
      () => ({ certFile: garbage }),
      '--tls-cert-file',
      'invalid',
      /holds no PEM certificate/,
    ],
    [
      'a key that is not a key',
      () => ({ keyFile: garbage }),
      '--tls-key-file',
      'invalid',
      /not a usable unencrypted PEM private key/,
    ],
    [
      "another certificate's key",
      () => ({ keyFile: pki.rotated.key }),
      '--tls-key-file',
      'mismatch',
      /the private key does not match the certificate in .*server\.crt$/,
    ],
    [
      'an expired certificate',
      () => ({ certFile: pki.expiredServer.cert, keyFile: pki.expiredServer.key }),
      '--tls-cert-file',
      'expired',
      /the certificate expired on 2020-01-02T00:00:00.000Z$/,
    ],
    [
      'a client CA that is not PEM',
      () => ({ clientCaFile: garbage }),
      '--tls-client-ca-file',
      'invalid',
      /holds no PEM/,
    ],
    [
      'a missing client CA',
      () => ({ clientCaFile: '/nonexistent/ca.crt' }),
      '--tls-client-ca-file',
      'missing',
      /no such/,
    ],
  ];
  for (const [name, over, flag, reason, message] of refused) {
    it(`refuses ${name} at start, naming the file and the reason`, () => {
      const c = config(over());
      assert.throws(
        () => TlsTransport.load(c),
        (err: unknown) =>
          err instanceof TlsFileError &&
          err instanceof ConfigError &&
          err.flag === flag &&
          err.reason === reason &&
          err.message.startsWith(`${flag} ${err.file}: `) &&
          message.test(err.message),
      );
    });
  }

  it('judges expiry by the clock it is given', () => {
    const c = config({});
    assert.doesNotThrow(() => TlsTransport.load(c, new Date()));
    assert.throws(() => TlsTransport.load(c, new Date(Date.now() + 30 * 86400_000)), /expired/);
  });
});

describe('client certificate names (src/auth/client-certificate.ts)', () => {
  const sans: [string | undefined, { type: string; value: string }[]][] = [
    [undefined, []],
    ['', []],
    ['DNS:a.example', [{ type: 'DNS', value: 'a.example' }]],
    [
      'DNS:a.example, URI:spiffe://cluster.local/ns/x/sa/y, IP Address:10.0.0.1, email:ops@example.com',
      [
        { type: 'DNS', value: 'a.example' },
        { type: 'URI', value: 'spiffe://cluster.local/ns/x/sa/y' },
        { type: 'IP Address', value: '10.0.0.1' },
        { type: 'email', value: 'ops@example.com' },
      ],
    ],
    // Node quotes a value holding a comma (CVE-2021-44532): one SAN, not two.
    [
      'DNS:"a, DNS:b", DNS:c',
      [
        { type: 'DNS', value: 'a, DNS:b' },
        { type: 'DNS', value: 'c' },
      ],
    ],
  ];
  for (const [text, expected] of sans) {
    it(`reads subjectaltname ${JSON.stringify(text)}`, () => assert.deepEqual(subjectAltNames(text), expected));
  }

  const cert = (cn: string | string[] | undefined, san?: string) =>
    ({ subject: cn === undefined ? {} : { CN: cn }, subjectaltname: san }) as Parameters<typeof carriesName>[0];
  const names: [string, Parameters<typeof carriesName>[0], string, boolean][] = [
    ['the subject CN', cert('redis-operator'), 'redis-operator', true],
    ['one of several CNs', cert(['a', 'redis-operator']), 'redis-operator', true],
    ['a URI SAN', cert('x', 'URI:spiffe://c/ns/o/sa/op'), 'spiffe://c/ns/o/sa/op', true],
    ['a DNS SAN, in any case', cert('x', 'DNS:Op.Example'), 'op.example', true],
    ['not a prefix of the CN', cert('redis-operator-2'), 'redis-operator', false],
    ['not a wildcard', cert('x', 'DNS:*.example'), 'op.example', false],
    ['not a name smuggled inside a quoted SAN', cert('x', 'DNS:"a, DNS:op"'), 'op', false],
    ['nothing on a certificate without names', cert(undefined), 'redis-operator', false],
  ];
  for (const [name, c, wanted, expected] of names) {
    it(`--tls-client-name matches ${name}: ${expected}`, () => assert.equal(carriesName(c, wanted), expected));
  }
});
