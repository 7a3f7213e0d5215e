// The version matrix: the manager's behaviour against every real server in
// ../shared/redis-versions (Redis 5.0 to 7.4, Valkey 8), on ONE node pair per version so the
// suite stays short. Node A runs from a bundle (so it can be upgraded in place), node B in
// this process; both run the version's own redis-server from the redis.conf the manager
// renders for it. Per version, in order:
//   probes and status → demote B to A → metrics (pinned names, promtool, replica-only lag) →
//   RDB and AOF backups restored to the same DEBUG DIGEST (an AOF backup where too old: 501) →
//   exec upgrade of A, which adopts its running Redis → switchover A→B under write load with
//   no acknowledged write lost (where fence is too old: 501s, then promote/demote by hand) →
//   no error replies caused by the manager → SIGKILL of A's Redis and its restart as a replica.
// Where the folder is absent (a user's machine) one pending line says the matrix is skipped.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createClient,
  switchover,
  SwitchoverError,
  update,
  type SwitchoverNode,
} from '../../generated/client/src/index.js';
import { restoreCommand, RESTORE_EXIT } from '../../src/domain/backup/restore-cli.js';
import { supports } from '../../src/redis/capabilities.js';
import { api } from '../helpers/api.js';
import { auth, startTestManager, TEST_TOKEN, type TestManager } from '../helpers/manager.js';
import { killPid, redisClient, startRedis } from '../helpers/redis.js';
import { versionedServers, VERSIONS_DIR, type VersionedServer } from '../helpers/redis-versions.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { digest, writeDataset } from '../backup/support/fixtures.js';
import { TestStorage } from '../backup/support/storage.js';
import { has, value } from '../metrics/parse.js';
import { promtoolCheckMetrics, scrape } from '../metrics/helpers.js';
import { WriteLoad } from '../replication/write-load.js';
import { buildBundle, startBundledManager, type BundledManager } from '../upgrade/bundles.js';

/** The names the seed pins (docs/ARCHITECTURE.md); redis_replica_lag_seconds is for replicas only. */
const PINNED = [
  'redis_connected_clients',
  'redis_blocked_clients',
  'redis_used_memory_bytes',
  'redis_used_memory_peak_bytes',
  'redis_rdb_last_save_timestamp',
  'redis_aof_enabled',
  'redis_replication_role',
  'redis_connected_replicas',
  'redis_replication_offset',
  'redis_keyspace_hits_total',
  'redis_keyspace_misses_total',
  'redis_commands_processed_total',
  'redis_uptime_seconds',
];

const servers = versionedServers();

interface StatusBody {
  role: 'primary' | 'replica';
  replicationOffset: number;
  primary: { port: number; linkStatus: 'up' | 'down' } | null;
  fenced: boolean;
  redis: { version: string; pid: number; runId: string; restarts: number };
  manager: { version: string; sessionId: string };
}

async function status(m: { url: string }): Promise<StatusBody> {
  return (await api(m).get('/v1/status').expect(200)).body as StatusBody;
}

async function ready(m: { url: string }, what: string): Promise<void> {
  await waitFor(what, async () => (await api(m).get('/readyz')).status === 200 || undefined, 20_000);
}

describe('version matrix (../shared/redis-versions)', function () {
  this.timeout(60_000);
  if (servers === null) {
    it(`skipped: ${VERSIONS_DIR} is absent`);
    return;
  }
  let storage: TestStorage;
  before(async () => {
    storage = await TestStorage.start();
  });
  after(() => storage?.stop());

  for (const v of servers) describeVersion(v, () => storage);
});

function describeVersion(v: VersionedServer, storage: () => TestStorage): void {
  describe(`${v.name} (${v.identity.name} ${v.identity.version})`, () => {
    let a: BundledManager;
    let b: TestManager;
    const canFence = supports(v.identity, 'fence');
    const node = (m: { url: string }, port: number): SwitchoverNode => ({
      client: createClient({ baseUrl: m.url, token: TEST_TOKEN }),
      redis: { host: '127.0.0.1', port },
      name: `${v.name}:${port}`,
    });

    before(async () => {
      // The user's fragment: DEBUG for the digest (7.0+ needs it allowed), and no wait before
      // a diskless full sync (7.0+ waits 5 s by default for more replicas to join it).
      const conf = join(await tempDir('im-matrix-'), 'user.conf');
      await writeFile(conf, [...v.debugDirective, 'repl-diskless-sync-delay 0'].map((line) => line + '\n').join(''));
      const s3 = storage().raw(v.name);
      [a, b] = await Promise.all([
        startBundledManager('1.0.0-base', [
          ...['--redis-server', v.server, '--redis-config', conf],
          ...['--s3-endpoint', s3.s3Endpoint, '--s3-bucket', s3.s3Bucket, '--s3-prefix', `${v.name}/`],
          ...['--s3-region', s3.s3Region, '--s3-path-style'],
        ]),
        startTestManager({
          raw: { redisServer: v.server, redisConfig: conf, initialRole: 'replica', maxLagSeconds: '5' },
        }),
      ]);
    });
    after(() => Promise.all([a?.stop(), b?.stop()]));

    it('runs redis-server from the redis.conf rendered for it; probes and status answer', async () => {
      const conf = await readFile(join(a.dataDir, 'redis.conf'), 'utf8');
      assert.equal(/^bind /m.test(conf), supports(v.identity, 'dualStackBind'), 'bind only where understood');
      assert.equal((await api(a).get('/healthz').expect(200)).body.alive, true);
      await api(a).get('/readyz').expect(200);
      const sa = await status(a);
      assert.deepEqual([sa.role, sa.redis.version], ['primary', v.identity.version]);
      await api(b).get('/healthz').expect(200);
      const notReady = (await api(b).get('/readyz').expect(503)).body;
      assert.match(notReady.reasons.join(), /^no-primary:/);
      assert.equal((await status(b)).role, 'replica');
    });

    it('demote: B follows A and becomes ready', async () => {
      await api(b)
        .post('/v1/demote')
        .set(auth())
        .send({ primaryHost: '127.0.0.1', primaryPort: a.redisPort, epoch: 1 })
        .expect(200);
      await ready(b, 'B to be a ready replica');
      const sb = await status(b);
      assert.deepEqual([sb.role, sb.primary?.port, sb.primary?.linkStatus], ['replica', a.redisPort, 'up']);
    });

    it('metrics: the pinned names on both, promtool accepts them, replica lag on the replica only', async () => {
      const [ma, mb] = await Promise.all([scrape(a), scrape(b)]);
      for (const s of [ma, mb]) {
        promtoolCheckMetrics(s.text);
        assert.equal(value(s.series, 'redis_up'), 1);
        for (const name of PINNED) assert.ok(has(s.series, name), `${name} missing`);
        const info = s.series.find((x) => x.name === 'redis_instance_info')!;
        if (v.identity.name === 'valkey') assert.equal(info.labels.valkey_version, v.identity.version);
        else assert.equal(info.labels.version, v.identity.version);
      }
      assert.equal(value(ma.series, 'redis_replication_role'), 1);
      assert.equal(value(mb.series, 'redis_replication_role'), 0);
      assert.equal(has(ma.series, 'redis_replica_lag_seconds'), false);
      assert.ok(value(mb.series, 'redis_replica_lag_seconds') >= 0);
    });

    /** Backs A up, restores the backup into a fresh directory and returns the digest a server of this version loads from it. */
    async function backupRestoreDigest(type: 'rdb' | 'aof'): Promise<string> {
      const started = await api(a).post('/v1/backup').set(auth()).send({ type }).expect(202);
      const done = await waitFor(
        `the ${type} backup to finish`,
        async () => {
          const res = await api(a).get(`/v1/backups/${started.body.id}`).set(auth()).expect(200);
          return res.body.state === 'completed' || res.body.state === 'failed' ? res.body : undefined;
        },
        30_000,
        100,
      );
      assert.equal(done.state, 'completed', done.error);
      const dir = join(await tempDir('im-matrix-restore-'), 'data');
      let err = '';
      const code = await restoreCommand(
        // The load check runs the pod's own server: a newer RDB format is refused by an older one.
        [
          ...['--from', done.location, '--data-dir', dir, '--s3-endpoint', storage().endpoint, '--s3-path-style'],
          ...['--redis-server', v.server],
        ],
        {},
        () => {},
        (line) => (err += line),
      );
      assert.equal(code, RESTORE_EXIT.restored, err);
      const args = [...v.debugDirective, ...(type === 'aof' ? ['appendonly yes'] : [])].flatMap((line) => {
        const [name, value] = line.split(' ');
        return ['--' + name, value];
      });
      const restored = await startRedis(args, { binary: v.server, dir });
      try {
        return await digest(restored.client());
      } finally {
        await restored.stop();
      }
    }

    it('backup and restore: the restored dataset has the same DEBUG DIGEST (RDB; AOF from 7.0)', async () => {
      const redis = redisClient(a.redisPort);
      await writeDataset(redis, v.name);
      const expected = await digest(redis);
      assert.notEqual(expected, '0'.repeat(40));
      assert.equal(await backupRestoreDigest('rdb'), expected);
      if (supports(v.identity, 'aofBackup')) {
        // AOF on for this backup only: the archive holds the real multi-part AOF directory.
        await redis.config('SET', 'appendonly', 'yes');
        await waitFor('the first AOF rewrite', async () => {
          const info = await redis.info('persistence');
          return (/aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info)) || undefined;
        });
        assert.equal(await backupRestoreDigest('aof'), expected);
        await redis.config('SET', 'appendonly', 'no');
      } else {
        const res = await api(a).post('/v1/backup').set(auth()).send({ type: 'aof' }).expect(501);
        assert.equal(res.body.type, 'https://redis-instance-manager.dev/problems/redis-version');
        assert.match(res.body.detail, /AOF backup .* needs Redis ≥ 7\.0 .*this node runs Redis /);
      }
    });

    it('exec upgrade: the new build adopts the running redis-server (same pid and run)', async () => {
      const before = await status(a);
      const outcome = await update({ baseUrl: a.url, token: TEST_TOKEN }, await readFile(await buildBundle('9.9.9')), {
        timeoutMs: 60_000,
      });
      assert.equal(outcome.version, '9.9.9');
      const after = await status(a);
      assert.equal(after.manager.version, '9.9.9');
      assert.notEqual(after.manager.sessionId, before.manager.sessionId);
      assert.deepEqual(
        [after.redis.pid, after.redis.runId, after.redis.restarts, after.role],
        [before.redis.pid, before.redis.runId, 0, 'primary'],
      );
      assert.match(a.output(), /adopted running redis-server/);
      await ready(b, 'B to stay a ready replica');
    });

    it(
      canFence
        ? 'switchover A→B under write load: committed, no acknowledged write lost'
        : 'fence is 501 (needs 6.2) and changes nothing; promote and demote by hand lose no write',
      async () => {
        let primaryPort = a.redisPort;
        const load = new WriteLoad(() => primaryPort);
        load.start();
        await waitFor('writes to flow', () => load.acknowledged.length > 200);
        if (canFence) {
          const report = await switchover({ from: node(a, a.redisPort), to: node(b, b.redisPort), epoch: 2 });
          primaryPort = b.redisPort;
          assert.equal(report.committed, true);
          const count = load.acknowledged.length;
          await waitFor('writes to flow to B', () => load.acknowledged.length > count + 100);
          await load.stop();
        } else {
          const fence = await api(a).post('/v1/fence').set(auth()).send({ epoch: 2, timeoutMs: 5000 }).expect(501);
          assert.equal(fence.body.type, 'https://redis-instance-manager.dev/problems/redis-version');
          assert.match(
            fence.body.detail,
            new RegExp(`needs Redis ≥ 6\\.2 .*this node runs Redis ${v.identity.version}`),
          );
          await api(a).delete('/v1/fence').set(auth()).expect(501);
          const err = await switchover({ from: node(a, a.redisPort), to: node(b, b.redisPort), epoch: 2 }).then(
            () => assert.fail('switchover needs a fence'),
            (e: unknown) => e,
          );
          assert.ok(err instanceof SwitchoverError, String(err));
          assert.deepEqual(
            [err.report.committed, err.report.rolledBack, err.report.steps.map((s) => s.step)],
            [false, false, ['fence']],
          );
          assert.match(err.message, /needs Redis ≥ 6\.2/);
          const unchanged = await status(a);
          assert.deepEqual([unchanged.role, unchanged.fenced], ['primary', false]);
          const writes = load.acknowledged.length;
          await waitFor('A to keep taking writes', () => load.acknowledged.length > writes + 50);
          // By hand, without a fence: stop the writers, then move the role at A's last offset.
          await load.stop();
          const offset = (await status(a)).replicationOffset;
          await api(b).post('/v1/promote').set(auth()).send({ epoch: 2, minOffset: offset }).expect(200);
          await api(a)
            .post('/v1/demote')
            .set(auth())
            .send({ primaryHost: '127.0.0.1', primaryPort: b.redisPort, epoch: 2 })
            .expect(200);
          assert.match(err.report.steps[0].error!, /^501 Not supported by this Redis version: .*needs Redis ≥ 6\.2/);
        }
        assert.deepEqual(await load.missingOn(b.redisPort), [], 'acknowledged writes missing on B');
        await ready(a, 'A to be a ready replica of B');
        await waitFor('A to catch up with B', async () => {
          const [sa, sb] = await Promise.all([status(a), status(b)]);
          return (sa.primary?.port === b.redisPort && sa.replicationOffset >= sb.replicationOffset) || undefined;
        });
        assert.deepEqual(await load.missingOn(a.redisPort), [], 'acknowledged writes missing on A');
        assert.deepEqual([(await status(b)).role, (await status(a)).role], ['primary', 'replica']);
      },
    );

    if (!supports(v.identity, 'fence')) {
      it('error replies: not checkable here, Redis before 6.2 keeps no error statistics');
    } else {
      it('the managers caused no error replies (no command a version lacks, no retry loop)', async () => {
        // A refused the test's own writes after its demote (READONLY); nothing else may fail.
        for (const [port, allowed] of [
          [a.redisPort, /^errorstat_READONLY:/],
          [b.redisPort, /^$/],
        ] as const) {
          const errors = (await redisClient(port).info('errorstats'))
            .split('\r\n')
            .filter((l) => l.startsWith('errorstat_') && !allowed.test(l));
          assert.deepEqual(errors, [], `error replies on ${port}`);
        }
      });
    }

    it('SIGKILL of A’s redis-server: restarted by the upgraded manager, back as B’s replica', async () => {
      const before = await status(a);
      killPid(before.redis.pid, 'SIGKILL');
      const after = await waitFor(
        'a new redis-server behind A',
        async () => {
          const res = await api(a).get('/v1/status');
          const s = res.body as StatusBody;
          return res.status === 200 && s.redis.pid !== before.redis.pid && s.redis.restarts === 1 ? s : undefined;
        },
        20_000,
      );
      assert.deepEqual([after.role, after.primary?.port], ['replica', b.redisPort]);
      await ready(a, 'A to be ready again');
      const keys = await redisClient(b.redisPort).dbsize();
      await waitFor(
        'A to hold B’s dataset',
        async () => (await redisClient(a.redisPort).dbsize()) === keys || undefined,
      );
    });
  });
}
