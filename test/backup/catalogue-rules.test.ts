// The catalogue's and retention's rules, by tables: what is listed and where it was found,
// paging, which backups a policy deletes, and the failure codes against the contract.
import assert from 'node:assert/strict';
import { FAILURE_CODES, newRecord, type BackupRecord } from '../../src/domain/backup/backup-record.js';
import { mergeCatalogue, page, type StorageListing } from '../../src/domain/backup/catalogue.js';
import type { BackupMetadata } from '../../src/domain/backup/metadata.js';
import { latestPrefix } from '../../src/domain/backup/restore.js';
import { selectForDeletion, type RetentionPolicy } from '../../src/domain/backup/retention.js';
import type { StoredBackup } from '../../src/domain/backup/stored-backups.js';
import { openapiDocument } from '../helpers/contract.js';

/** An id for "day N of November 2026 at 00:00 UTC". */
const id = (day: number) => `202611${String(day).padStart(2, '0')}T000000Z-${String(day).padStart(6, '0')}`;
const createdAt = (day: number) => `2026-11-${String(day).padStart(2, '0')}T00:00:00.000Z`;

function stored(day: number, edits: Partial<StoredBackup> = {}): StoredBackup {
  const metadata: BackupMetadata = {
    format: 1,
    id: id(day),
    type: 'rdb',
    object: 'dump.rdb',
    size: 100 + day,
    sha256: 'a'.repeat(64),
    createdAt: createdAt(day),
    lastSave: 0,
    role: 'primary',
    replicationId: '',
    replicationOffset: 0,
    redisVersion: '7.0.15',
    managerVersion: '0.1.0',
    aof: null,
    hostname: 'redis-1',
  };
  return {
    id: id(day),
    location: `s3://b/p/${id(day)}/`,
    keys: [`p/${id(day)}/dump.rdb`, `p/${id(day)}/metadata.json`],
    metadataKey: `p/${id(day)}/metadata.json`,
    finishedAt: new Date(Date.parse(createdAt(day)) + 60_000),
    metadata,
    dataPresent: true,
    problem: null,
    ...edits,
  };
}

function journaled(day: number, edits: Partial<BackupRecord> = {}): BackupRecord {
  const record = newRecord('rdb', true, new Date(createdAt(day)), 'redis-0');
  return {
    ...record,
    id: id(day),
    state: 'completed',
    finishedAt: new Date(Date.parse(createdAt(day)) + 60_000),
    location: `s3://b/p/${id(day)}/`,
    ...edits,
  };
}

const listing = (backups: StoredBackup[], complete = true): StorageListing => ({
  backups,
  complete,
  startedAt: new Date('2026-12-01T00:00:00Z'),
  root: 's3://b/p/',
});

describe('backup catalogue rules', () => {
  describe('mergeCatalogue', () => {
    const cases: {
      name: string;
      records: BackupRecord[];
      storage: StorageListing | null;
      listed: [string, string, string[]][];
      gone?: string[];
    }[] = [
      {
        name: 'journal and storage: one entry each, found in both; newest first',
        records: [journaled(2), journaled(1)],
        storage: listing([stored(2), stored(1)]),
        listed: [
          [id(2), 'completed', ['journal', 'storage']],
          [id(1), 'completed', ['journal', 'storage']],
        ],
      },
      {
        name: "another pod's backup is listed from storage",
        records: [journaled(3, { state: 'failed', upload: true, location: null })],
        storage: listing([stored(2)]),
        listed: [
          [id(3), 'failed', ['journal']],
          [id(2), 'completed', ['storage']],
        ],
      },
      {
        name: 'storage unreadable: the journal alone, nothing forgotten',
        records: [journaled(2), journaled(1, { upload: false, location: null })],
        storage: null,
        listed: [
          [id(2), 'completed', ['journal']],
          [id(1), 'completed', ['journal']],
        ],
      },
      {
        name: 'an uploaded backup a complete listing no longer has was deleted elsewhere: forgotten',
        records: [journaled(2), journaled(1)],
        storage: listing([stored(2)]),
        listed: [[id(2), 'completed', ['journal', 'storage']]],
        gone: [id(1)],
      },
      {
        name: '…but not from an incomplete listing',
        records: [journaled(1)],
        storage: listing([], false),
        listed: [[id(1), 'completed', ['journal']]],
      },
      {
        name: '…nor when it finished after the listing started',
        records: [journaled(1, { finishedAt: new Date('2026-12-01T00:00:01Z') })],
        storage: listing([]),
        listed: [[id(1), 'completed', ['journal']]],
      },
      {
        name: '…nor when it was uploaded under another prefix (the configuration changed)',
        records: [journaled(1, { location: `s3://b/old-prefix/${id(1)}/` })],
        storage: listing([]),
        listed: [[id(1), 'completed', ['journal']]],
      },
      {
        name: 'a local save (not uploaded) is never looked for in storage',
        records: [journaled(1, { upload: false, location: null })],
        storage: listing([]),
        listed: [[id(1), 'completed', ['journal']]],
      },
      {
        name: 'failed in the journal, complete in storage (died after the upload): completed',
        records: [journaled(1, { state: 'failed', errorCode: 'interrupted', error: 'x' })],
        storage: listing([stored(1)]),
        listed: [[id(1), 'completed', ['journal', 'storage']]],
      },
      {
        name: 'unusable in storage (bad metadata, data gone): not listed',
        records: [],
        storage: listing([
          stored(2, { metadata: null, problem: 'metadata.json is not valid JSON' }),
          stored(1, { dataPresent: false }),
        ]),
        listed: [],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const catalogue = mergeCatalogue(c.records, c.storage);
        assert.deepEqual(
          catalogue.items.map((b) => [b.id, b.state, b.foundIn]),
          c.listed,
        );
        assert.deepEqual(catalogue.gone, c.gone ?? []);
      });
    }

    it('a backup from storage alone carries what metadata.json says', () => {
      const [view] = mergeCatalogue([], listing([stored(5)])).items;
      assert.deepEqual(view, {
        id: id(5),
        type: 'rdb',
        state: 'completed',
        upload: true,
        startedAt: createdAt(5),
        finishedAt: '2026-11-05T00:01:00.000Z',
        saveSeconds: null,
        uploadSeconds: null,
        bytesTotal: 105,
        bytesUploaded: 105,
        sha256: 'a'.repeat(64),
        location: `s3://b/p/${id(5)}/`,
        error: null,
        errorCode: null,
        hostname: 'redis-1',
        foundIn: ['storage'],
      });
    });
  });

  describe('page', () => {
    const items = mergeCatalogue([], listing([5, 4, 3, 2, 1].map((d) => stored(d)))).items;
    const cases: [number, string | undefined, number[], number | null][] = [
      [2, undefined, [5, 4], 4],
      [2, id(4), [3, 2], 2],
      [2, id(2), [1], null],
      [5, undefined, [5, 4, 3, 2, 1], null],
      [100, id(1), [], null],
      // The `after` backup was deleted between two pages: the next page still follows on.
      [2, `${id(4)}0`, [4, 3], 3],
    ];
    for (const [limit, after, days, next] of cases) {
      it(`limit ${limit} after ${after ?? '(none)'}`, () => {
        const p = page(items, limit, after);
        assert.deepEqual(
          p.items.map((b) => b.id),
          days.map(id),
        );
        assert.equal(p.next, next === null ? null : id(next));
      });
    }
  });

  describe('selectForDeletion', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const five = [5, 4, 3, 2, 1].map((d) => stored(d));
    const cases: { name: string; backups: StoredBackup[]; policy: RetentionPolicy; deleted: number[] }[] = [
      { name: 'no policy: nothing', backups: five, policy: { count: null, days: null }, deleted: [] },
      { name: 'count 2: all but the newest 2', backups: five, policy: { count: 2, days: null }, deleted: [3, 2, 1] },
      { name: 'count 5: nothing', backups: five, policy: { count: 5, days: null }, deleted: [] },
      {
        name: 'days 27: older than Nov 3 12:00',
        backups: five,
        policy: { count: null, days: 27 },
        deleted: [3, 2, 1],
      },
      {
        name: 'days 1: the newest is kept even when it is too old',
        backups: five,
        policy: { count: null, days: 1 },
        deleted: [4, 3, 2, 1],
      },
      {
        name: 'count 1 and days 27: only what both let go',
        backups: five,
        policy: { count: 1, days: 27 },
        deleted: [3, 2, 1],
      },
      {
        name: 'count 4 and days 27: only what both let go',
        backups: five,
        policy: { count: 4, days: 27 },
        deleted: [1],
      },
      {
        name: 'count 4 and days 1: only what both let go',
        backups: five,
        policy: { count: 4, days: 1 },
        deleted: [1],
      },
      {
        name: 'unusable entries do not count and are not the newest; bad metadata is never touched',
        backups: [stored(6, { metadata: null, problem: 'format 2' }), ...five],
        policy: { count: 2, days: null },
        deleted: [3, 2, 1],
      },
      {
        name: 'a deletion left half-done (data gone, metadata there) is finished',
        backups: [stored(6, { dataPresent: false }), stored(5), stored(4)],
        policy: { count: 2, days: null },
        deleted: [6],
      },
    ];
    for (const c of cases) {
      it(c.name, () =>
        assert.deepEqual(
          selectForDeletion(c.backups, c.policy, now).map((b) => b.id),
          c.deleted.map(id),
        ),
      );
    }
  });

  describe('restore locations', () => {
    const cases: [string, string | null][] = [
      ['p/latest', 'p/'],
      ['p/latest/', 'p/'],
      ['a/b/latest', 'a/b/'],
      ['latest', ''],
      ['p/', null],
      ['p/20261126T000000Z-abcdef/', null],
      ['p/not-latest', null],
    ];
    for (const [key, prefix] of cases)
      it(`${JSON.stringify(key)} → ${JSON.stringify(prefix)}`, () => assert.equal(latestPrefix(key), prefix));
  });

  it('the failure codes are the contract’s errorCode enum', () => {
    const schemas = (openapiDocument.components as unknown as { schemas: Record<string, unknown> }).schemas;
    const backup = schemas.Backup as { properties: { errorCode: { enum: (string | null)[] } } };
    assert.deepEqual(backup.properties.errorCode.enum.filter((c) => c !== null).sort(), [...FAILURE_CODES].sort());
  });
});
