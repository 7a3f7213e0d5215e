// Backup benchmark: a dataset of about 1 GiB (BENCH_SIZE_MB), backed up by the manager
// (BGSAVE, then its own multipart loop: UploadPart from a fixed pool of part buffers filled from
// the open file), measured in one run against a plain @aws-sdk/lib-storage upload (its
// defaults) of the same file to the same server (goal: ≥ 0.9× its throughput); the manager's
// RSS growth during the first backup (goal ≤ 64 MiB); Redis latency (redis-benchmark p99)
// during the backup against idle. Prints a table, with the load average the run saw.
//   tsx bench/backup.ts            (BENCH_SIZE_MB=256 tsx bench/backup.ts for a quicker run)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Redis } from 'ioredis';
import { DEPLOYED_NODE_FLAGS, freePort, killTree, rssMiB, waitFor } from './lib.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const SIZE_MB = Number(process.env.BENCH_SIZE_MB ?? 1024);
const VALUE_BYTES = 1024;
const TOKEN = 'bench-token-0123456789';
const KEY = 'S3RVER';

/** RSS of the manager: its launcher and the manager under it (see processTree). */
async function rssBytes(pid: number): Promise<number> {
  return (await rssMiB(pid)) * 1024 * 1024;
}

/** One redis-benchmark run: p99 of SET and GET, in ms. */
async function redisP99(port: number, requests: number): Promise<number> {
  const { stdout } = await run('redis-benchmark', [
    '-p',
    String(port),
    '-t',
    'set,get',
    '-n',
    String(requests),
    '-c',
    '20',
    '--csv',
  ]);
  const rows = stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map((f) => f.replace(/"/g, '')));
  return Math.max(...rows.map((r) => Number(r[6])));
}

const MiB = 1024 * 1024;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'im-bench-backup-'));
  const children: ChildProcess[] = [];
  const cleanup = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of children) if (c.exitCode === null) killTree(c);
    await rm(work, { recursive: true, force: true });
  };
  try {
    // The deployable bundle, as it runs in a pod.
    const bundle = join(work, 'instance-manager.mjs');
    await run(process.execPath, [join(root, 'scripts/build.mjs')], { env: { ...process.env, IM_BUILD_OUT: bundle } });

    const s3rver = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'support/s3rver-process.ts'), join(work, 's3')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: root,
      },
    );
    children.push(s3rver);
    const s3Port = await new Promise<number>((resolve) =>
      s3rver.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    const endpoint = `http://127.0.0.1:${s3Port}`;

    const dataDir = join(work, 'data');
    const tokenFile = join(work, 'token');
    const userConf = join(work, 'user.conf');
    await writeFile(tokenFile, TOKEN);
    await writeFile(userConf, 'enable-debug-command local\nrdbcompression no\nsave ""\n');
    const redisPort = await freePort();
    const httpPort = await freePort();
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: KEY,
      AWS_SECRET_ACCESS_KEY: KEY,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const manager = spawn(
      process.execPath,
      [
        ...DEPLOYED_NODE_FLAGS,
        bundle,
        'run',
        '--listen',
        `127.0.0.1:${httpPort}`,
        '--data-dir',
        dataDir,
        '--redis-port',
        String(redisPort),
        '--token-file',
        tokenFile,
        '--initial-role',
        'primary',
        '--redis-config',
        userConf,
        '--log-level',
        'warn',
        '--s3-endpoint',
        endpoint,
        '--s3-bucket',
        'bench',
        '--s3-prefix',
        'manager',
        '--s3-path-style',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env },
    );
    children.push(manager);
    const url = `http://127.0.0.1:${httpPort}`;
    const redis = new Redis({ port: redisPort, lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    await waitFor(
      'the manager and its Redis',
      async () => {
        const res = await fetch(`${url}/readyz`);
        return res.status === 200 ? true : undefined;
      },
      30_000,
    );
    await redis.connect();

    const keys = Math.round((SIZE_MB * MiB) / (VALUE_BYTES + 40));
    process.stderr.write(`populating ${keys} keys of ${VALUE_BYTES} bytes (~${SIZE_MB} MiB)...\n`);
    await redis.call('DEBUG', 'POPULATE', String(keys), 'bench', String(VALUE_BYTES));

    process.stderr.write('measuring idle latency...\n');
    const idleP99 = await redisP99(redisPort, 200_000);

    const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    /** One backup through the API, sampling the manager's RSS; `during` runs until it ends. */
    const backupOnce = async (during?: () => Promise<void>) => {
      const rssBefore = await rssBytes(manager.pid!);
      let rssPeak = rssBefore;
      const sampler = setInterval(
        () =>
          void rssBytes(manager.pid!).then(
            (r) => (rssPeak = Math.max(rssPeak, r)),
            () => {},
          ),
        50,
      );
      const started = (await (
        await fetch(`${url}/v1/backup`, { method: 'POST', headers, body: '{"type":"rdb"}' })
      ).json()) as { id: string };
      let backup: Record<string, unknown> | undefined;
      for (;;) {
        const body = (await (await fetch(`${url}/v1/backups/${started.id}`, { headers })).json()) as Record<
          string,
          unknown
        >;
        if (body.state === 'completed' || body.state === 'failed') {
          backup = body;
          break;
        }
        if (during) await during();
        else await new Promise((r) => setTimeout(r, 100));
      }
      clearInterval(sampler);
      if (backup.state !== 'completed') throw new Error(`backup failed: ${String(backup.error)}`);
      return { backup, rssBefore, rssPeak };
    };

    const file = join(dataDir, 'dump.rdb');
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: KEY, secretAccessKey: KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    let plainRuns = 0;
    const plainUpload = async () => {
      const size = (await stat(file)).size;
      const start = performance.now();
      await new Upload({
        client,
        params: {
          Bucket: 'bench',
          Key: `plain/${++plainRuns}/dump.rdb`,
          Body: createReadStream(file),
          ContentLength: size,
        },
      }).done();
      return size / MiB / ((performance.now() - start) / 1000);
    };

    process.stderr.write('backup 1 (cold manager), redis-benchmark running throughout...\n');
    const busyP99: number[] = [];
    const loaded = await backupOnce(async () => void busyP99.push(await redisP99(redisPort, 50_000)));
    const forkUsec = Number(/latest_fork_usec:(\d+)/.exec(String(await redis.info('stats')))![1]);
    process.stderr.write('plain lib-storage upload 1...\n');
    const plain1 = await plainUpload();
    process.stderr.write('backup 2 (warm manager), nothing else running...\n');
    const quiet = await backupOnce();
    process.stderr.write('plain lib-storage upload 2...\n');
    const plain2 = await plainUpload();
    client.destroy();
    const backup = quiet.backup;

    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    const bytes = Number(backup.bytesTotal);
    const uploadSeconds = Number(backup.uploadSeconds);
    const growth = (r: { rssBefore: number; rssPeak: number }) => `${fmt((r.rssPeak - r.rssBefore) / MiB)} MiB`;
    const ours = bytes / MiB / uploadSeconds;
    const plain = (plain1 + plain2) / 2;
    const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
    const sorted = [...busyP99].sort((a, b) => a - b);
    const rows: [string, string, string][] = [
      ['dataset (dump.rdb)', `${fmt(bytes / MiB)} MiB`, `${keys} keys × ${VALUE_BYTES} B`],
      ['save (BGSAVE → LASTSAVE)', `${fmt(Number(backup.saveSeconds), 2)} s`, `fork ${fmt(forkUsec / 1000, 1)} ms`],
      [
        'upload, manager (sha256 + metadata)',
        `${fmt(bytes / MiB / uploadSeconds)} MiB/s`,
        `${fmt(uploadSeconds, 2)} s, backup 2 (quiet)`,
      ],
      [
        'upload, plain lib-storage',
        `${fmt(plain)} MiB/s`,
        `runs: ${fmt(plain1)} and ${fmt(plain2)} MiB/s (defaults: 5 MiB parts, 4 in flight)`,
      ],
      ['upload, manager / plain', `${fmt(ours / plain, 2)}×`, `goal ≥ 0.9×: ${verdict(ours / plain >= 0.9)}`],
      [
        'manager RSS growth, backup 1',
        growth(loaded),
        `${fmt(loaded.rssBefore / MiB)} → ${fmt(loaded.rssPeak / MiB)} MiB, first use of the S3 client (goal ≤ 64 MiB: ${verdict(loaded.rssPeak - loaded.rssBefore <= 64 * MiB)})`,
      ],
      [
        'manager RSS growth, backup 2',
        growth(quiet),
        `${fmt(quiet.rssBefore / MiB)} → ${fmt(quiet.rssPeak / MiB)} MiB`,
      ],
      ['Redis p99, idle', `${fmt(idleP99, 3)} ms`, 'redis-benchmark SET/GET -c 20'],
      [
        'Redis p99, during backup 1',
        `${fmt(Math.max(...busyP99), 3)} ms`,
        `worst of ${busyP99.length} runs; median ${fmt(sorted[sorted.length >> 1] ?? NaN, 3)} ms`,
      ],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    const valueWidth = Math.max(...rows.map((r) => r[1].length));
    console.log(
      `\nbackup benchmark (${SIZE_MB} MiB requested, s3rver on loopback, ${new Date().toISOString()}, load average at the end ${load})`,
    );
    for (const [name, value, note] of rows)
      console.log(`${name.padEnd(width)}  ${value.padStart(valueWidth)}  ${note}`);
    redis.disconnect();
  } finally {
    await cleanup();
  }
}

await main();
