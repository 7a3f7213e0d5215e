// Shared steps of the backup tests: a manager whose Redis allows DEBUG (DIGEST, POPULATE) and
// CONFIG SET dir from local clients, a known dataset, and waiting for a backup to end.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { api } from '../../helpers/api.js';
import { auth, startTestManager, type TestManager, type TestManagerOptions } from '../../helpers/manager.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';
import type { BackupView } from '../../../src/domain/backup/backup-record.js';

/** A user redis.conf for the tests (raw option redisConfig). */
export async function testRedisConfig(extra: string[] = []): Promise<string> {
  const dir = await tempDir('im-conf-');
  const file = join(dir, 'user.conf');
  await writeFile(file, ['enable-debug-command local', 'enable-protected-configs local', ...extra].join('\n') + '\n');
  return file;
}

export async function startBackupManager(
  options: TestManagerOptions & { redisConf?: string[] } = {},
): Promise<TestManager> {
  const redisConfig = await testRedisConfig(options.redisConf);
  return startTestManager({ ...options, raw: { redisConfig, ...options.raw } });
}

/** Strings, hashes, a list, and keys with a TTL (long enough to survive the test). */
export async function writeDataset(redis: Redis, tag = 'k'): Promise<void> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < 500; i++) pipeline.set(`${tag}:str:${i}`, `value-${i}-${'x'.repeat(i % 50)}`);
  for (let i = 0; i < 50; i++) pipeline.hset(`${tag}:hash:${i}`, { a: String(i), b: 'bee', c: 'x'.repeat(i) });
  pipeline.rpush(`${tag}:list`, 'one', 'two', 'three');
  for (let i = 0; i < 50; i++) pipeline.set(`${tag}:ttl:${i}`, `expiring-${i}`, 'EX', 3600 + i);
  await pipeline.exec();
}

export async function digest(redis: Redis): Promise<string> {
  return String(await redis.call('DEBUG', 'DIGEST'));
}

export async function startBackup(m: { url: string }, body: object = {}): Promise<BackupView> {
  const res = await api(m).post('/v1/backup').set(auth()).send(body).expect(202);
  assert.equal(res.headers.location, `/v1/backups/${res.body.id}`);
  return res.body as BackupView;
}

/** Polls GET /v1/backups/{id} until the backup is completed or failed. */
export async function finished(m: { url: string }, id: string, timeoutMs = 60_000): Promise<BackupView> {
  return waitFor(
    `backup ${id} to finish`,
    async () => {
      const res = await api(m).get(`/v1/backups/${id}`).set(auth()).expect(200);
      const view = res.body as BackupView;
      return view.state === 'completed' || view.state === 'failed' ? view : undefined;
    },
    timeoutMs,
    100,
  );
}

export async function backupAndWait(m: { url: string }, body: object = {}): Promise<BackupView> {
  const started = await startBackup(m, body);
  return finished(m, started.id);
}

/** The object key prefix of a backup location s3://bucket/<prefix>. */
export function keyPrefix(location: string): string {
  return location.replace(/^s3:\/\/[^/]+\//, '');
}
