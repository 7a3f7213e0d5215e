// The pure parts of backups, by tables of cases: judging a save from INFO, the tar format
// (checked against the system's tar), key layout, storage error reasons, the AOF manifest.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  SaveTracker,
  classifySaveReply,
  type SaveObservation,
  type SaveStart,
} from '../../src/domain/backup/save-progress.js';
import { listTar, tarSize, tarStream, tarHeader } from '../../src/domain/backup/tar.js';
import { backupPrefix, parseS3Url, storageFailure } from '../../src/domain/backup/storage.js';
import { metadataKey } from '../../src/domain/backup/restore.js';
import { manifestFiles } from '../../src/domain/backup/snapshot.js';
import { parseMetadata } from '../../src/domain/backup/metadata.js';
import { BackupStats, backupFamilies, BACKUP_METRIC_NAMES } from '../../src/domain/backup/backup-stats.js';
import { renderText } from '../../src/domain/metrics/exposition.js';
import { newBackupId } from '../../src/domain/backup/backup-record.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);

const idle: SaveObservation = {
  runId: 'r1',
  lastSave: 100,
  rdbInProgress: false,
  rdbStatusOk: true,
  aofInProgress: false,
  aofScheduled: false,
  aofStatusOk: true,
  forks: 5,
};
const at = (o: Partial<SaveObservation>): SaveObservation => ({ ...idle, ...o });

describe('backup units', () => {
  describe('classifySaveReply', () => {
    const cases: [string, ReturnType<typeof classifySaveReply>][] = [
      ['Background saving started', { start: 'started' }],
      ['Background saving scheduled', { start: 'scheduled' }],
      ['ERR Background save already in progress', { start: 'already-running' }],
      ['Background append only file rewriting started', { start: 'started' }],
      ['Background append only file rewriting scheduled', { start: 'scheduled' }],
      ['ERR Background append only file rewriting already in progress', { start: 'already-running' }],
      ['ERR', { refused: 'ERR' }],
      [
        "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        {
          refused: "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        },
      ],
    ];
    for (const [reply, expected] of cases)
      it(JSON.stringify(reply), () => assert.deepEqual(classifySaveReply(reply), expected));
  });

  describe('SaveTracker', () => {
    const cases: {
      name: string;
      type: 'rdb' | 'aof';
      start: SaveStart;
      steps: [Partial<SaveObservation>, string][];
    }[] = [
      {
        name: 'rdb: running, then LASTSAVE advances with ok',
        type: 'rdb',
        start: 'started',
        steps: [
          [{ rdbInProgress: true }, 'waiting'],
          [{ lastSave: 101 }, 'completed'],
        ],
      },
      {
        name: 'rdb: child gone with err and LASTSAVE still',
        type: 'rdb',
        start: 'started',
        steps: [
          [{ rdbInProgress: true }, 'waiting'],
          [{ rdbStatusOk: false }, 'failed:save_failed'],
        ],
      },
      {
        name: 'rdb: an earlier failure (err at baseline) does not fail a running save',
        type: 'rdb',
        start: 'started',
        steps: [
          [{ rdbInProgress: true, rdbStatusOk: false }, 'waiting'],
          [{ lastSave: 101 }, 'completed'],
        ],
      },
      {
        name: 'rdb: restarted Redis (LASTSAVE = start time, status ok) is not a completed save',
        type: 'rdb',
        start: 'started',
        steps: [[{ runId: 'r2', lastSave: 200 }, 'failed:redis_restarted']],
      },
      {
        name: 'rdb: scheduled behind an AOF rewrite; an old err is not our failure until our child ran',
        type: 'rdb',
        start: 'scheduled',
        steps: [
          [{ aofInProgress: true, rdbStatusOk: false }, 'waiting'],
          [{ rdbStatusOk: false }, 'waiting'],
          [{ rdbStatusOk: false, forks: 6 }, 'failed:save_failed'],
        ],
      },
      {
        name: 'rdb: scheduled, runs, succeeds',
        type: 'rdb',
        start: 'scheduled',
        steps: [
          [{ aofInProgress: true }, 'waiting'],
          [{ rdbInProgress: true, forks: 6 }, 'waiting'],
          [{ lastSave: 150, forks: 6 }, 'completed'],
        ],
      },
      {
        name: 'rdb: already running, finishes ok',
        type: 'rdb',
        start: 'already-running',
        steps: [
          [{ rdbInProgress: true }, 'waiting'],
          [{ lastSave: 101 }, 'completed'],
        ],
      },
      {
        name: 'rdb: LASTSAVE advanced but status err (not ours yet)',
        type: 'rdb',
        start: 'started',
        steps: [[{ lastSave: 101, rdbStatusOk: false, rdbInProgress: true }, 'waiting']],
      },
      {
        name: 'aof: started, done with ok',
        type: 'aof',
        start: 'started',
        steps: [
          [{ aofInProgress: true }, 'waiting'],
          [{}, 'completed'],
        ],
      },
      {
        name: 'aof: started, done with err',
        type: 'aof',
        start: 'started',
        steps: [
          [{ aofInProgress: true }, 'waiting'],
          [{ aofStatusOk: false }, 'failed:save_failed'],
        ],
      },
      {
        name: 'aof: scheduled behind a BGSAVE, waits for its own rewrite',
        type: 'aof',
        start: 'scheduled',
        steps: [
          [{ rdbInProgress: true, aofScheduled: true }, 'waiting'],
          [{ aofScheduled: true }, 'waiting'],
          [{ aofInProgress: true, forks: 6 }, 'waiting'],
          [{ forks: 6 }, 'completed'],
        ],
      },
      {
        name: 'aof: scheduled, its quick rewrite seen only through total_forks',
        type: 'aof',
        start: 'scheduled',
        steps: [
          [{ rdbInProgress: true, aofScheduled: true }, 'waiting'],
          [{ forks: 7 }, 'completed'],
        ],
      },
      {
        name: 'aof: restarted Redis',
        type: 'aof',
        start: 'started',
        steps: [[{ runId: 'other' }, 'failed:redis_restarted']],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const tracker = new SaveTracker(c.type, idle, c.start);
        for (const [observation, expected] of c.steps) {
          const verdict = tracker.next(at(observation));
          const got = verdict.verdict === 'failed' ? `failed:${verdict.code}` : verdict.verdict;
          assert.equal(got, expected, JSON.stringify(observation));
        }
      });
    }
  });

  describe('tar', () => {
    it('writes an archive the system tar reads, and reads it back', async () => {
      const dir = await tempDir('im-tar-');
      const big = Buffer.alloc(1500, 7);
      await writeFile(join(dir, 'big'), Buffer.concat([big, Buffer.from('growing tail not archived')]));
      const handle = await open(join(dir, 'big'), 'r');
      const entries = [
        { name: 'appendonlydir/appendonly.aof.manifest', size: 5, mtime: new Date(0), source: Buffer.from('hello') },
        { name: 'appendonlydir/empty', size: 0, mtime: new Date(0), source: Buffer.alloc(0) },
        { name: 'appendonlydir/big', size: big.length, mtime: new Date(0), source: handle },
      ];
      const chunks: Buffer[] = [];
      for await (const chunk of tarStream(entries)) chunks.push(chunk as Buffer);
      await handle.close();
      const archive = Buffer.concat(chunks);
      assert.equal(archive.length, tarSize(entries));
      const file = join(dir, 'a.tar');
      await writeFile(file, archive);
      const { stdout } = await run('tar', ['-tvf', file]);
      assert.match(stdout, /appendonlydir\/appendonly\.aof\.manifest/);
      assert.match(stdout, /1500 .*appendonlydir\/big/);
      await run('tar', ['-xf', file, '-C', dir]);
      assert.deepEqual(await readFile(join(dir, 'appendonlydir', 'big')), big);
      const read = await open(file, 'r');
      const members = await listTar(read, archive.length);
      await read.close();
      assert.deepEqual(
        members.map((m) => [m.name, m.size]),
        [
          ['appendonlydir/appendonly.aof.manifest', 5],
          ['appendonlydir/empty', 0],
          ['appendonlydir/big', 1500],
        ],
      );
    });

    it('sizes of 8 GiB and more use the base-256 form', () => {
      const header = tarHeader('x', 9 * 1024 ** 3, new Date(0));
      assert.equal(header[124], 0x80);
      assert.equal(Number(header.readBigUInt64BE(128)), 9 * 1024 ** 3);
    });

    it('rejects a corrupted header and a link member', async () => {
      const dir = await tempDir('im-tar-');
      const bad = tarHeader('a', 0, new Date(0));
      bad[0] = 0x62;
      const link = tarHeader('l', 0, new Date(0));
      link.write('2', 156);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : link[i];
      link.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
      for (const [header, message] of [
        [bad, /corrupt/],
        [link, /not a regular file/],
      ] as const) {
        const file = join(dir, 'x.tar');
        await writeFile(file, Buffer.concat([header, Buffer.alloc(1024)]));
        const handle = await open(file, 'r');
        await assert.rejects(listTar(handle, 1536), message);
        await handle.close();
      }
    });

    it('streams without reading a file past the size fixed when it was opened', async () => {
      const stream = tarStream([{ name: 'n', size: 3, mtime: new Date(0), source: Buffer.from('abcdef') }]);
      const all = Buffer.concat(await Readable.from(stream).toArray());
      assert.equal(all.subarray(512, 515).toString(), 'abc');
      assert.equal(all[515], 0);
    });
  });

  describe('layout and locations', () => {
    const prefixes: [string, string][] = [
      ['', 'ID/'],
      ['backups', 'backups/ID/'],
      ['backups/', 'backups/ID/'],
      ['a/b', 'a/b/ID/'],
    ];
    for (const [prefix, expected] of prefixes)
      it(`prefix ${JSON.stringify(prefix)} → ${expected}`, () => assert.equal(backupPrefix(prefix, 'ID'), expected));

    const metadata: [string, string][] = [
      ['p/id/', 'p/id/metadata.json'],
      ['p/id/metadata.json', 'p/id/metadata.json'],
      ['p/id/dump.rdb', 'p/id/metadata.json'],
      ['', 'metadata.json'],
      ['dump.rdb', 'metadata.json'],
    ];
    for (const [key, expected] of metadata)
      it(`metadata of ${JSON.stringify(key)} → ${expected}`, () => assert.equal(metadataKey(key), expected));

    it('parses s3:// locations and refuses others', () => {
      assert.deepEqual(parseS3Url('s3://b/k/x'), { bucket: 'b', key: 'k/x' });
      assert.deepEqual(parseS3Url('s3://b/'), { bucket: 'b', key: '' });
      assert.throws(() => parseS3Url('https://b/k'));
      assert.throws(() => parseS3Url('s3:///k'));
    });

    it('backup ids sort by their start, to the millisecond, and match the contract pattern', () => {
      const a = newBackupId(new Date('2026-11-26T16:00:59.123Z'));
      assert.match(a, /^20261126T160059123Z-[0-9a-f]{6}$/);
      assert.ok(newBackupId(new Date('2026-11-26T16:00:59.124Z')) > a, 'within the same second');
      assert.ok(newBackupId(new Date('2026-11-26T16:01:00Z')) > a);
    });
  });

  describe('storage failure reasons', () => {
    const cases: [unknown, string][] = [
      [{ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }, 'storage_no_bucket'],
      [{ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } }, 'storage_denied'],
      [{ name: 'SignatureDoesNotMatch' }, 'storage_denied'],
      [{ name: 'Unknown', $metadata: { httpStatusCode: 403 } }, 'storage_denied'],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'storage_unreachable'],
      [{ name: 'TimeoutError', message: 'Connection timed out after 5000 ms' }, 'storage_unreachable'],
      [{ name: 'InternalError', $metadata: { httpStatusCode: 500 } }, 'storage_error'],
    ];
    for (const [err, code] of cases) {
      it(`${JSON.stringify(err)} → ${code}`, () => assert.equal(storageFailure(err, 'upload', 'b').code, code));
    }
    it("never echoes the server's message (it may name the access key)", () => {
      const failure = storageFailure(
        { name: 'InvalidAccessKeyId', message: 'key AKIASECRET does not exist' },
        'upload',
        'b',
      );
      assert.doesNotMatch(failure.message, /AKIASECRET/);
    });
  });

  describe('AOF manifest', () => {
    it('lists base and incr files, not history', () => {
      const manifest =
        'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\n';
      assert.deepEqual(manifestFiles(manifest), ['appendonly.aof.2.base.rdb', 'appendonly.aof.3.incr.aof']);
    });
    it('refuses a name with a path in it', () => {
      assert.throws(() => manifestFiles('file ../x seq 1 type b\n'), /unexpected file/);
    });
  });

  describe('metadata.json', () => {
    const good = {
      format: 1,
      id: 'x',
      type: 'rdb',
      object: 'dump.rdb',
      size: 3,
      sha256: 'a'.repeat(64),
      createdAt: '2026-11-26T16:00:59.000Z',
      aof: null,
    };
    it('accepts a good one', () => assert.equal(parseMetadata(JSON.stringify(good)).object, 'dump.rdb'));
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ object: '../dump.rdb' }, /object/],
      [{ sha256: 'zz' }, /sha256/],
      [{ size: -1 }, /size/],
      [{ type: 'aof', aof: { dir: '../x' } }, /aof\.dir/],
      [{ format: 2 }, /format/],
      [{ createdAt: 'yesterday' }, /createdAt/],
      [{ id: '../x' }, /id must/],
    ];
    for (const [edit, message] of bad)
      it(`refuses ${JSON.stringify(edit)}`, () =>
        assert.throws(() => parseMetadata(JSON.stringify({ ...good, ...edit })), message));
    it('refuses what is not JSON', () => assert.throws(() => parseMetadata('{'), /not valid JSON/));
  });

  describe('metrics', () => {
    it('exposes the last success, failures by reason, deletions and retention runs as metric families', async () => {
      const stats = new BackupStats();
      let inProgress = false;
      const exposition = () => renderText(backupFamilies(stats, inProgress), 'prometheus');
      let text = exposition();
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.lastSuccess} 0$`, 'm'), '0 before the first success');
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.failures}\\{reason="storage_denied"\\} 0$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.failures}\\{reason="interrupted"\\} 0$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.deleted}\\{trigger="retention"\\} 0$`, 'm'));
      inProgress = true;
      assert.match(exposition(), new RegExp(`^${BACKUP_METRIC_NAMES.inProgress} 1$`, 'm'));
      stats.recordFailure('storage_denied');
      stats.recordSuccess(new Date(1_800_000_000_000), 12.5, 4096);
      stats.recordDeletion('retention');
      stats.recordDeletion('retention');
      stats.recordDeletion('request');
      stats.recordRetentionRun('skipped');
      inProgress = false;
      text = exposition();
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.lastSuccess} 1800000000$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.lastDuration} 12.5$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.lastSize} 4096$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.failures}\\{reason="storage_denied"\\} 1$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.completed} 1$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.inProgress} 0$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.deleted}\\{trigger="retention"\\} 2$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.deleted}\\{trigger="request"\\} 1$`, 'm'));
      assert.match(text, new RegExp(`^${BACKUP_METRIC_NAMES.retentionRuns}\\{outcome="skipped"\\} 1$`, 'm'));
      assert.match(text, /# TYPE instance_manager_backup_failures_total counter/);
      assert.match(text, /# TYPE instance_manager_backups_deleted_total counter/);
    });
  });
});
