// Real certificates for the TLS tests, made with openssl at test time (EC P-256 keys: fast to
// make): a CA, server certificates for 127.0.0.1/localhost (two, for rotation, with different
// serials), an expired one, a good client certificate, one from another CA, an expired one and
// one with another name. Made once per process; the files live in a temp dir.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './tmp.js';

const run = promisify(execFile);

export interface Pair {
  cert: string;
  key: string;
  /** Hexadecimal, upper case, as Node's X509Certificate and getPeerCertificate() print it. */
  serial: string;
}

export interface TestPki {
  dir: string;
  /** The CA that issues the server and client certificates (and the --tls-client-ca-file). */
  ca: string;
  caKey: string;
  server: Pair;
  /** Another server certificate from the same CA: the rotation's new pair. */
  rotated: Pair;
  /** A server certificate whose validity ended in 2020. */
  expiredServer: Pair;
  /** CN=redis-operator, SAN URI:spiffe://cluster.local/ns/redis-operator-system/sa/redis-operator */
  client: Pair;
  /** Same names, issued by a CA the manager does not trust. */
  otherCaClient: Pair;
  /** From the trusted CA, expired. */
  expiredClient: Pair;
  /** From the trusted CA, CN=someone-else. */
  otherNameClient: Pair;
}

export const CLIENT_NAME = 'redis-operator';
export const CLIENT_SPIFFE_ID = 'spiffe://cluster.local/ns/redis-operator-system/sa/redis-operator';

const SERVER_EXT = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
const CLIENT_EXT = `subjectAltName=URI:${CLIENT_SPIFFE_ID}\nextendedKeyUsage=clientAuth\n`;

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

function serialHex(): string {
  // 8 bytes, positive, no leading zero: openssl and Node print it as given.
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] & 0x7f) | 0x10;
  return bytes.toString('hex').toUpperCase();
}

async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '3',
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
  return { cert, key };
}

interface IssueOptions {
  subject: string;
  ext: string;
  /** EC P-256 (default) or RSA 2048 (cert-manager's default). */
  keyType?: 'ec' | 'rsa';
  /** Validity in the past (openssl ca with explicit dates) instead of 3 days from now. */
  expired?: boolean;
}

async function issue(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  options: IssueOptions,
): Promise<Pair> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  const serial = serialHex();
  await writeFile(ext, options.ext);
  const keyArgs = options.keyType === 'rsa' ? ['rsa:2048'] : ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  await openssl(
    ['req', '-new', '-nodes', '-newkey', ...keyArgs, '-keyout', key, '-out', csr, '-subj', options.subject],
    dir,
  );
  if (!options.expired) {
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-set_serial',
        `0x${serial}`,
        '-days',
        '3',
        '-extfile',
        ext,
        '-out',
        cert,
      ],
      dir,
    );
  } else {
    // `openssl ca` takes explicit start and end dates, in every OpenSSL version.
    const db = join(dir, `${name}-ca`);
    await mkdir(db);
    await writeFile(join(db, 'index.txt'), '');
    await writeFile(join(db, 'serial'), `${serial}\n`);
    await writeFile(
      join(db, 'ca.cnf'),
      [
        '[ca]',
        'default_ca = test',
        '[test]',
        `database = ${db}/index.txt`,
        `new_certs_dir = ${db}`,
        `serial = ${db}/serial`,
        'default_md = sha256',
        'policy = anything',
        'unique_subject = no',
        '[anything]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    await openssl(
      [
        'ca',
        '-batch',
        '-notext',
        '-config',
        join(db, 'ca.cnf'),
        '-cert',
        ca.cert,
        '-keyfile',
        ca.key,
        '-in',
        csr,
        '-out',
        cert,
        '-startdate',
        '20200101000000Z',
        '-enddate',
        '20200102000000Z',
        '-extfile',
        ext,
      ],
      dir,
    );
  }
  return { cert, key, serial };
}

let made: Promise<TestPki> | undefined;

/** The test PKI, made on first use. */
export function testPki(): Promise<TestPki> {
  return (made ??= makePki());
}

async function makePki(): Promise<TestPki> {
  const dir = await tempDir('im-pki-');
  const ca = await makeCa(dir, 'test-ca');
  const otherCa = await makeCa(dir, 'other-ca');
  const server = { subject: '/CN=localhost', ext: SERVER_EXT };
  const client = { subject: `/CN=${CLIENT_NAME}`, ext: CLIENT_EXT };
  const [serverPair, rotated, expiredServer, clientPair, otherCaClient, expiredClient, otherNameClient] =
    await Promise.all([
      issue(dir, 'server', ca, server),
      issue(dir, 'rotated', ca, server),
      issue(dir, 'expired-server', ca, { ...server, expired: true }),
      issue(dir, 'client', ca, client),
      issue(dir, 'other-ca-client', otherCa, client),
      issue(dir, 'expired-client', ca, { ...client, expired: true }),
      issue(dir, 'other-name-client', ca, {
        subject: '/CN=someone-else',
        ext: 'subjectAltName=DNS:someone-else.example\nextendedKeyUsage=clientAuth\n',
      }),
    ]);
  return {
    dir,
    ca: ca.cert,
    caKey: ca.key,
    server: serverPair,
    rotated,
    expiredServer,
    client: clientPair,
    otherCaClient,
    expiredClient,
    otherNameClient,
  };
}

/** The PEM contents of a pair, for https.request / superagent options. */
export async function pemOf(pair: Pair): Promise<{ cert: Buffer; key: Buffer }> {
  const [cert, key] = await Promise.all([readFile(pair.cert), readFile(pair.key)]);
  return { cert, key };
}

/** Another server certificate for 127.0.0.1/localhost from the test CA, with an RSA or EC key. */
export async function serverPair(name: string, keyType: 'ec' | 'rsa'): Promise<Pair> {
  const pki = await testPki();
  return issue(pki.dir, name, { cert: pki.ca, key: pki.caKey }, { subject: '/CN=localhost', ext: SERVER_EXT, keyType });
}
