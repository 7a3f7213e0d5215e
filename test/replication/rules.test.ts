// The pure rules of replication: epoch fencing, host validation, the role
// read from INFO, the role redis-server is started in, and readiness of placeholder nodes.
import assert from 'node:assert/strict';
import { isValidHost, isValidPort } from '../../src/domain/replication/address.js';
import { checkEpoch, checkFenceEpoch, type Topology } from '../../src/domain/replication/epoch.js';
import { redisRole } from '../../src/domain/replication/redis-role.js';
import { RefusingLock } from '../../src/domain/replication/refusing-lock.js';
import { OperationGuard } from '../../src/domain/operation-guard.js';
import { readinessRules } from '../../src/domain/probes/readiness.js';
import { parseInfo } from '../../src/redis/info.js';
import type { HeldReason } from '../../src/domain/state/state-file.js';
import { ConflictError } from '../../src/errors.js';

const P: Topology = { role: 'primary', primary: null };
const R1: Topology = { role: 'replica', primary: { host: 'redis-0', port: 6379 } };
const R2: Topology = { role: 'replica', primary: { host: 'redis-1', port: 6379 } };

describe('replication rules', () => {
  describe('checkEpoch', () => {
    const cases: [string, number | null, number | undefined, Topology, Topology, boolean, number | null][] = [
      ['no epoch in the request: accepted, stored one kept', 5, undefined, R1, P, true, 5],
      ['no epoch anywhere', null, undefined, R1, P, true, null],
      ['first epoch ever', null, 0, R1, P, true, 0],
      ['newer epoch', 5, 6, R1, P, true, 6],
      ['older epoch, same topology', 5, 4, P, P, false, null],
      ['older epoch, other topology', 5, 4, R1, P, false, null],
      ['equal epoch, same topology (retry)', 5, 5, P, P, true, 5],
      ['equal epoch, same primary (retry)', 5, 5, R1, R1, true, 5],
      ['equal epoch, other role', 5, 5, R1, P, false, null],
      ['equal epoch, other primary', 5, 5, R1, R2, false, null],
      [
        'host compared case-insensitively',
        5,
        5,
        R1,
        { role: 'replica', primary: { host: 'REDIS-0', port: 6379 } },
        true,
        5,
      ],
      ['equal epoch, other port', 5, 5, R1, { role: 'replica', primary: { host: 'redis-0', port: 6380 } }, false, null],
    ];
    for (const [name, stored, requested, current, wanted, accept, epoch] of cases) {
      it(name, () => {
        const verdict = checkEpoch(stored, requested, current, wanted);
        assert.equal(verdict.accept, accept);
        if (verdict.accept) assert.equal(verdict.epoch, epoch);
        else assert.match(verdict.reason, /epoch/);
      });
    }
    it('a fence may carry an equal or newer epoch, never an older one', () => {
      assert.equal(checkFenceEpoch(5, 5).accept, true);
      assert.equal(checkFenceEpoch(5, 9).accept, true);
      assert.equal(checkFenceEpoch(null, 0).accept, true);
      assert.equal(checkFenceEpoch(5, undefined).accept, true);
      assert.equal(checkFenceEpoch(5, 4).accept, false);
    });
  });

  describe('hosts and ports', () => {
    const hosts: [string, boolean][] = [
      ['redis-0.redis.default.svc.cluster.local', true],
      ['redis-0', true],
      ['10.0.0.12', true],
      ['::1', true],
      ['fe80::1', true],
      ['a.b.c.', true],
      ['', false],
      ['-redis', false],
      ['redis-', false],
      ['red_is', false],
      ['redis 0', false],
      ['10.0.0.256', false],
      ['a..b', false],
      ['x'.repeat(64), false],
      [`${'a'.repeat(60)}.`.repeat(5), false],
      ['host:6379', false],
      ['[::1]', false],
    ];
    for (const [host, valid] of hosts) {
      it(`${JSON.stringify(host.length > 40 ? host.slice(0, 40) + '…' : host)} is ${valid ? '' : 'not '}a valid host`, () => {
        assert.equal(isValidHost(host), valid);
      });
    }
    it('ports are 1-65535 integers', () => {
      assert.deepEqual([0, 1, 6379, 65535, 65536, 1.5, -1].map(isValidPort), [
        false,
        true,
        true,
        true,
        false,
        false,
        false,
      ]);
    });
  });

  describe('redisRole from INFO', () => {
    const replica = (extra: string) =>
      `# Server\r\nrun_id:abc\r\n# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n${extra}master_replid:r1\r\n# Keyspace\r\n`;
    it('a synced replica with data', () => {
      const r = redisRole(
        parseInfo(replica('master_link_status:up\r\nslave_repl_offset:42\r\n') + 'db0:keys=3,expires=0,avg_ttl=0\r\n'),
      );
      assert.deepEqual(r, {
        role: 'replica',
        primary: { host: '10.0.0.1', port: 6379 },
        linkUp: true,
        neverSynced: false,
        offset: 42,
        replicationId: 'r1',
        empty: false,
        runId: 'abc',
        loading: false,
      });
    });
    it('a replica whose link was never up, with an empty keyspace', () => {
      const r = redisRole(
        parseInfo(replica('master_link_status:down\r\nmaster_link_down_since_seconds:-1\r\nslave_repl_offset:1\r\n')),
      );
      assert.equal(r.neverSynced, true);
      assert.equal(r.empty, true);
    });
    it('a replica whose link went down after a sync', () => {
      const r = redisRole(parseInfo(replica('master_link_status:down\r\nmaster_link_down_since_seconds:3\r\n')));
      assert.equal(r.neverSynced, false);
    });
    it('the placeholder primary is no primary', () => {
      const r = redisRole(
        parseInfo(
          '# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:0\r\nmaster_link_status:down\r\n',
        ),
      );
      assert.equal(r.role, 'replica');
      assert.equal(r.primary, null);
    });
    it('a primary: its own offset; databases with keys=0 are empty', () => {
      const r = redisRole(
        parseInfo('# Replication\r\nrole:master\r\nmaster_repl_offset:99\r\n# Keyspace\r\ndb1:keys=0,expires=0\r\n'),
      );
      assert.equal(r.role, 'primary');
      assert.equal(r.offset, 99);
      assert.equal(r.empty, true);
      assert.equal(r.neverSynced, false);
    });
  });

  describe('readiness of a node behind the placeholder', () => {
    const placeholder = parseInfo(
      '# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:0\r\nmaster_link_status:down\r\n',
    );
    const cases: [string, 'primary' | 'replica', HeldReason | null, RegExp][] = [
      ['a fresh replica waits for the operator', 'replica', null, /^no-primary: /],
      ['a held primary waits for the operator', 'primary', 'restart', /^held: /],
      ['a primary whose lease expired waits for the operator', 'primary', 'lease-expired', /^lease-expired: /],
      ['a primary resuming with its dataset is not ready yet', 'primary', null, /^resuming: /],
    ];
    for (const [name, desiredRole, held, reason] of cases) {
      it(name, () => {
        const r = readinessRules({
          ping: { ok: true },
          replication: placeholder,
          desiredRole,
          held,
          maxLagSeconds: 10,
        });
        assert.equal(r.ready, false);
        assert.equal(r.reasons.length, 1);
        assert.match(r.reasons[0], reason);
      });
    }
  });

  describe('RefusingLock', () => {
    it('refuses a second change while one runs, and frees the lock after a failure', async () => {
      const lock = new RefusingLock(new OperationGuard());
      let release!: () => void;
      const first = lock.run('a promote', () => new Promise<string>((r) => (release = () => r('done'))));
      await assert.rejects(
        lock.run('a demote', async () => 'never'),
        (err: unknown) =>
          err instanceof ConflictError && /cannot start a demote: a promote is in progress/.test(err.message),
      );
      assert.equal(await lock.tryRun('a reconcile', async () => 'never'), undefined);
      release();
      assert.equal(await first, 'done');
      await assert.rejects(
        lock.run('a fence', async () => {
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await lock.run('a demote', async () => 'ok'), 'ok');
    });

    it('shares the guard with updates: no change while an update runs, and the other way round', async () => {
      const guard = new OperationGuard();
      const lock = new RefusingLock(guard);
      const update = guard.begin('update', 'an update');
      await assert.rejects(
        lock.run('a promote', async () => 'never'),
        (err: unknown) => err instanceof ConflictError && /an update is in progress/.test(err.message),
      );
      assert.equal(await lock.tryRun('a reconcile', async () => 'never'), undefined);
      update.release();
      let release!: () => void;
      const promote = lock.run('a promote', () => new Promise<void>((r) => (release = r)));
      assert.throws(() => guard.begin('update', 'an update'), /a promote is in progress/);
      // Backups and replication changes may overlap.
      guard.begin('backup', 'a backup').release();
      release();
      await promote;
    });
  });
});
