// One view of replication: promote safety (redisRole), readiness, /v1/status and the metrics
// read role, primary and link from replicationView, so they agree on every INFO reply: the
// live captures of every supported server, and the same replies with the link down or the
// replica behind the placeholder.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisFamilies } from '../../src/domain/metrics/info-families.js';
import { readinessRules } from '../../src/domain/probes/readiness.js';
import { redisRole } from '../../src/domain/replication/redis-role.js';
import { replicationView } from '../../src/domain/replication/view.js';
import { statusFromInfo } from '../../src/domain/status/status.js';
import { initialState } from '../../src/domain/state/state-file.js';
import { parseInfo } from '../../src/redis/info.js';

const fixtures = join(import.meta.dirname, '../fixtures/info');

/** A capture, and the same reply with its link down, and behind the placeholder. */
function variants(name: string, text: string): [string, string][] {
  if (!/^role:slave/m.test(text)) return [[name, text]];
  return [
    [name, text],
    [`${name}, link down`, text.replace(/^master_link_status:up/m, 'master_link_status:down')],
    [
      `${name}, behind the placeholder`,
      text.replace(/^master_host:.*$/m, 'master_host:127.0.0.1').replace(/^master_port:.*$/m, 'master_port:0'),
    ],
  ];
}

const sample = (families: ReturnType<typeof redisFamilies>, name: string) =>
  families.find((f) => f.name === name)?.samples[0]?.value;

describe('one view of replication', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.txt'));
  it('has live captures to check', () => assert.ok(files.length >= 10, files.join()));
  for (const file of files) {
    for (const [name, text] of variants(file, readFileSync(join(fixtures, file), 'utf8'))) {
      it(`${name}: promote safety, readiness, status and metrics agree`, () => {
        const info = parseInfo(text);
        const view = replicationView(info);
        const role = redisRole(info);
        const status = statusFromInfo(info, {
          manager: {
            version: 't',
            executableHash: null,
            sessionId: 's',
            upgrading: false,
            confirmed: true,
            previousVersion: null,
            rollback: null,
            updateSignatureRequired: false,
            updatePublicKeyFingerprint: null,
          },
          restarts: 0,
          state: initialState(view.role),
          now: new Date(0),
        });
        const families = redisFamilies(info);
        const ready = readinessRules({
          ping: { ok: true },
          replication: info,
          desiredRole: view.role,
          held: null,
          maxLagSeconds: 1e9,
        });

        // The role.
        assert.equal(role.role, view.role);
        assert.equal(status.role, view.role);
        assert.equal(sample(families, 'redis_replication_role'), view.role === 'primary' ? 1 : 0);
        // The primary a replica follows (none behind the placeholder).
        assert.deepEqual(role.primary, view.primary);
        assert.deepEqual(status.primary && { host: status.primary.host, port: status.primary.port }, view.primary);
        // The link.
        const up = view.link?.up ?? false;
        assert.equal(role.linkUp, up);
        assert.equal(status.primary ? status.primary.linkStatus === 'up' : false, view.primary !== null && up);
        if (view.link) assert.equal(sample(families, 'redis_master_link_up'), up ? 1 : 0);
        else assert.equal(sample(families, 'redis_master_link_up'), undefined);
        // Readiness says why exactly when the others say the link is down or there is no primary.
        const linkDown = ready.reasons.some((r) => r.startsWith('link-down:'));
        const noPrimary = ready.reasons.some((r) => r.startsWith('no-primary:'));
        assert.equal(linkDown, view.link !== null && !view.behindPlaceholder && !up);
        assert.equal(noPrimary, view.behindPlaceholder);
        // The offset.
        assert.equal(role.offset, status.replicationOffset);
        assert.equal(sample(families, 'redis_replication_offset'), view.offset);
      });
    }
  }
});
