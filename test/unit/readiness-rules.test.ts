import assert from 'node:assert/strict';
import { readinessRules, type ReadinessInput } from '../../src/domain/probes/readiness.js';
import { parseInfo } from '../../src/redis/info.js';

const primaryInfo = parseInfo('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n');
const replica = (fields: Record<string, string>) =>
  parseInfo(
    '# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\n' +
      Object.entries(fields)
        .map(([k, v]) => `${k}:${v}\r\n`)
        .join(''),
  );
const healthyReplica = { master_link_status: 'up', master_sync_in_progress: '0', master_last_io_seconds_ago: '1' };

const cases: { name: string; input: Partial<ReadinessInput>; ready: boolean; reasons: RegExp[] }[] = [
  { name: 'primary answering PONG', input: {}, ready: true, reasons: [] },
  {
    name: 'LOADING',
    input: { ping: { ok: false, code: 'LOADING', message: 'LOADING Redis is loading' } },
    ready: false,
    reasons: [/^loading:/],
  },
  {
    name: 'BUSY script',
    input: { ping: { ok: false, code: 'BUSY', message: 'BUSY' } },
    ready: false,
    reasons: [/^busy:/],
  },
  {
    name: 'MASTERDOWN',
    input: { ping: { ok: false, code: 'MASTERDOWN', message: 'MASTERDOWN' } },
    ready: false,
    reasons: [/^master-down:/],
  },
  {
    name: 'unreachable',
    input: { ping: { ok: false, code: 'UNREACHABLE', message: 'PING did not answer within 1000 ms' } },
    ready: false,
    reasons: [/^unreachable: PING did not answer/],
  },
  { name: 'INFO missing', input: { replication: null }, ready: false, reasons: [/^unreachable:/] },
  {
    name: 'healthy replica',
    input: { replication: replica(healthyReplica), desiredRole: 'replica' },
    ready: true,
    reasons: [],
  },
  {
    name: 'replica with link down',
    input: { replication: replica({ ...healthyReplica, master_link_status: 'down' }), desiredRole: 'replica' },
    ready: false,
    reasons: [/^link-down: .*10\.0\.0\.1:6379 is down/],
  },
  // master_sync_in_progress drops to 0 between attempts: the link status still says not ready.
  {
    name: 'replica between sync attempts',
    input: {
      replication: replica({
        master_link_status: 'down',
        master_sync_in_progress: '0',
        master_last_io_seconds_ago: '-1',
      }),
      desiredRole: 'replica',
    },
    ready: false,
    reasons: [/^link-down:/],
  },
  {
    name: 'replica syncing',
    input: {
      replication: replica({ master_link_status: 'down', master_sync_in_progress: '1' }),
      desiredRole: 'replica',
    },
    ready: false,
    reasons: [/^link-down:/, /^syncing:/],
  },
  {
    name: 'replica lagging',
    input: {
      replication: replica({ ...healthyReplica, master_last_io_seconds_ago: '11' }),
      desiredRole: 'replica',
      maxLagSeconds: 10,
    },
    ready: false,
    reasons: [/^lagging: last I\/O with the primary was 11 s ago \(limit 10 s\)/],
  },
  {
    name: 'replica at the lag limit',
    input: {
      replication: replica({ ...healthyReplica, master_last_io_seconds_ago: '10' }),
      desiredRole: 'replica',
      maxLagSeconds: 10,
    },
    ready: true,
    reasons: [],
  },
  {
    name: 'a held primary is not ready, whatever Redis says',
    input: { held: 'restart' },
    ready: false,
    reasons: [/^held: /],
  },
  {
    name: 'a primary whose lease expired is not ready',
    input: { held: 'lease-expired' },
    ready: false,
    reasons: [/^lease-expired: /],
  },
  {
    name: 'a fenced primary is not ready while the pause lasts',
    input: { fencedUntil: '2026-12-02T12:00:00.000Z' },
    ready: false,
    reasons: [/^fenced: /],
  },
  {
    name: 'meant to be a replica, running as primary',
    input: { desiredRole: 'replica' },
    ready: false,
    reasons: [/^no-primary:/],
  },
];

describe('readiness rules', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = readinessRules({
        ping: { ok: true },
        replication: primaryInfo,
        desiredRole: 'primary',
        maxLagSeconds: 10,
        ...c.input,
        held: c.input.held ?? null,
      });
      assert.equal(result.ready, c.ready);
      assert.equal(result.reasons.length, c.reasons.length, JSON.stringify(result.reasons));
      c.reasons.forEach((pattern, i) => assert.match(result.reasons[i], pattern));
    });
  }
});
