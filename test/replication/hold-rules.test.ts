// The rules of the hold and the reconcile, as tables: which start holds a primary, when a
// lease has expired, and what the reconcile tells redis-server for each state and view.
import assert from 'node:assert/strict';
import type { PrimaryRestartPolicy } from '../../src/config/config.js';
import {
  holdOnRestart,
  leaseExpired,
  leaseRemainingSeconds,
  startKind,
  type StartKind,
} from '../../src/domain/replication/hold.js';
import { PLACEHOLDER_PRIMARY } from '../../src/domain/replication/placeholder.js';
import { reconcileAction, type ReconcileAction } from '../../src/domain/replication/reconcile-rules.js';
import type { RedisRole } from '../../src/domain/replication/redis-role.js';
import type { Hold, PersistedState } from '../../src/domain/state/state-file.js';

const NOW = new Date('2026-12-02T12:00:00.000Z');
const HELD: Hold = { reason: 'restart', since: NOW.toISOString() };

describe('hold rules', () => {
  describe('startKind', () => {
    const self = { pid: 42, startTicks: 1000 };
    const cases: [string, boolean, PersistedState['exec'], typeof self, StartKind][] = [
      ['no state file: the first start', true, null, self, 'first'],
      ['a state file and no marker: a restart', false, null, self, 'restart'],
      ['the marker of this very process: an exec', false, { pid: 42, startTicks: 1000 }, self, 'exec'],
      [
        'the same PID but another process (a new container): a restart',
        false,
        { pid: 42, startTicks: 999 },
        self,
        'restart',
      ],
      ['another PID: a restart', false, { pid: 7, startTicks: 1000 }, self, 'restart'],
      [
        'own start time unknown: never taken for an exec',
        false,
        { pid: 42, startTicks: 1000 },
        { pid: 42, startTicks: null as unknown as number },
        'restart',
      ],
    ];
    for (const [name, created, exec, who, expected] of cases) {
      it(name, () => assert.equal(startKind(created, { exec }, who), expected));
    }
  });

  describe('holdOnRestart', () => {
    const cases: [string, Pick<PersistedState, 'role' | 'held'>, StartKind, PrimaryRestartPolicy, boolean][] = [
      ['a primary that restarted is held', { role: 'primary', held: null }, 'restart', 'hold', true],
      ['…unless the policy is resume', { role: 'primary', held: null }, 'restart', 'resume', false],
      ['an exec is no restart', { role: 'primary', held: null }, 'exec', 'hold', false],
      ['the first start of a node is no restart', { role: 'primary', held: null }, 'first', 'hold', false],
      ['a replica is never held', { role: 'replica', held: null }, 'restart', 'hold', false],
      [
        'an already held primary keeps its hold (and reason)',
        { role: 'primary', held: { ...HELD, reason: 'lease-expired' } },
        'restart',
        'hold',
        false,
      ],
    ];
    for (const [name, state, kind, policy, held] of cases) {
      it(name, () => {
        const hold = holdOnRestart(state, kind, policy, NOW);
        assert.equal(hold !== null, held);
        if (hold) assert.deepEqual(hold, { reason: 'restart', since: NOW.toISOString() });
      });
    }
  });

  describe('the lease', () => {
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000).toISOString();
    const cases: [string, Pick<PersistedState, 'role' | 'held' | 'leaseExpiresAt'>, boolean, number | null][] = [
      ['a primary within its lease', { role: 'primary', held: null, leaseExpiresAt: at(2.5) }, false, 2.5],
      ['a primary at the instant of expiry', { role: 'primary', held: null, leaseExpiresAt: at(0) }, true, 0],
      ['a primary past its lease', { role: 'primary', held: null, leaseExpiresAt: at(-3) }, true, 0],
      ['no lease', { role: 'primary', held: null, leaseExpiresAt: null }, false, null],
      ['a held primary has no lease to expire', { role: 'primary', held: HELD, leaseExpiresAt: at(-3) }, false, null],
      ['a replica has no lease', { role: 'replica', held: null, leaseExpiresAt: at(-3) }, false, null],
    ];
    for (const [name, state, expired, remaining] of cases) {
      it(name, () => {
        assert.equal(leaseExpired(state, NOW), expired);
        assert.equal(leaseRemainingSeconds(state, NOW), remaining);
      });
    }
  });
});

describe('reconcile rules', () => {
  const P = { host: '10.0.0.1', port: 6379 };
  const OTHER = { host: '10.0.0.2', port: 6379 };
  type View = Pick<RedisRole, 'role' | 'primary' | 'empty'>;
  const primary: View = { role: 'primary', primary: null, empty: false };
  const behindPlaceholder: View = { role: 'replica', primary: null, empty: false };
  const emptyBehindPlaceholder: View = { role: 'replica', primary: null, empty: true };
  const replicaOfP: View = { role: 'replica', primary: P, empty: false };
  const replicaOfOther: View = { role: 'replica', primary: OTHER, empty: false };
  type Desired = Pick<PersistedState, 'role' | 'primary' | 'held' | 'emptyAtCleanShutdown'>;
  const wantPrimary: Desired = { role: 'primary', primary: null, held: null, emptyAtCleanShutdown: false };
  const wantHeld: Desired = { ...wantPrimary, held: HELD };
  const wantReplicaOfP: Desired = { role: 'replica', primary: P, held: null, emptyAtCleanShutdown: false };
  const wantFreshReplica: Desired = { role: 'replica', primary: null, held: null, emptyAtCleanShutdown: false };
  const follow = (target: { host: string; port: number }): ReconcileAction => ({ kind: 'follow', target });

  const cases: [string, View, Desired, ReconcileAction][] = [
    ['a primary that is one: nothing', primary, wantPrimary, { kind: 'none' }],
    ['a primary back behind the placeholder with its data: resume', behindPlaceholder, wantPrimary, { kind: 'resume' }],
    ['a primary back empty: hold it', emptyBehindPlaceholder, wantPrimary, { kind: 'hold-empty' }],
    [
      '…unless it was stopped empty on purpose: resume',
      emptyBehindPlaceholder,
      { ...wantPrimary, emptyAtCleanShutdown: true },
      { kind: 'resume' },
    ],
    ['a primary made a replica behind our back (drift): resume', replicaOfOther, wantPrimary, { kind: 'resume' }],
    [
      'a held primary behind the placeholder: nothing (only the operator releases it)',
      behindPlaceholder,
      wantHeld,
      { kind: 'none' },
    ],
    [
      'a held primary that is writable (adopted, or REPLICAOF NO ONE behind our back): back behind the placeholder',
      primary,
      wantHeld,
      follow(PLACEHOLDER_PRIMARY),
    ],
    [
      'a held primary following someone: back behind the placeholder',
      replicaOfOther,
      wantHeld,
      follow(PLACEHOLDER_PRIMARY),
    ],
    ['a replica of its primary: nothing', replicaOfP, wantReplicaOfP, { kind: 'none' }],
    ['a replica that became a primary (drift): follow its primary', primary, wantReplicaOfP, follow(P)],
    ['a replica pointed elsewhere (drift): follow its primary', replicaOfOther, wantReplicaOfP, follow(P)],
    ['a fresh replica: the placeholder', primary, wantFreshReplica, follow(PLACEHOLDER_PRIMARY)],
    ['a fresh replica behind the placeholder: nothing', behindPlaceholder, wantFreshReplica, { kind: 'none' }],
  ];
  for (const [name, view, desired, action] of cases) {
    it(name, () => assert.deepEqual(reconcileAction(view, desired), action));
  }
});
