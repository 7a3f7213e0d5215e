// config/monitoring/: the prometheus-operator manifests validate against their CRD schemas,
// and the rules pass `promtool check rules` and fire as expected in `promtool test rules`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import {
  PodMonitor,
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { tempDir } from '../helpers/tmp.js';

const dir = join(import.meta.dirname, '../../config/monitoring');
const load = async (file: string) => YAML.parse(await readFile(join(dir, file), 'utf8')) as Record<string, unknown>;

function promtool(args: string[], cwd: string) {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('config/monitoring', () => {
  it('the PodMonitor and ServiceMonitor validate and scrape /metrics over HTTPS on port http', async () => {
    const pod = new PodMonitor((await load('podmonitor.yaml')) as never);
    pod.validate();
    const podEndpoint = pod.spec.podMetricsEndpoints![0];
    assert.equal(podEndpoint.path, '/metrics');
    assert.equal(podEndpoint.port, 'http');
    const svc = new ServiceMonitor((await load('servicemonitor.yaml')) as never);
    svc.validate();
    const svcEndpoint = svc.spec.endpoints[0];
    assert.equal(svcEndpoint.path, '/metrics');
    // The certificate is checked against the CA cert-manager puts in redis-tls, for the name
    // config/samples/certificates.yaml issues it to.
    for (const endpoint of [podEndpoint, svcEndpoint]) {
      assert.equal(endpoint.scheme, 'https');
      assert.deepEqual(endpoint.tlsConfig?.ca, { secret: { name: 'redis-tls', key: 'ca.crt' } });
      assert.equal(endpoint.tlsConfig?.serverName, 'redis');
      assert.notEqual(endpoint.tlsConfig?.insecureSkipVerify, true);
    }
  });

  it('a manifest with a wrong field is rejected (the validation is real)', async () => {
    const bad = await load('podmonitor.yaml');
    (bad.spec as Record<string, unknown>).podMetricsEndpoints = 'not-a-list';
    assert.throws(() => new PodMonitor(bad as never).validate());
  });

  it('the PrometheusRule validates, has the alerts of the issue, and promtool checks and tests its rules', async () => {
    const rule = new PrometheusRule((await load('prometheusrule.yaml')) as never);
    rule.validate();
    const alerts = rule.spec.groups!.flatMap((g) => (g.rules ?? []).map((r) => r.alert));
    for (const name of [
      'RedisInstanceManagerDown',
      'RedisDown',
      'RedisReplicaLinkDown',
      'RedisReplicaLag',
      'RedisNoPrimary',
      'RedisMultiplePrimaries',
      'RedisMemoryNearMaxmemory',
      'RedisRejectedConnections',
      'RedisRdbLastSaveFailed',
      'RedisRdbLastSaveTooOld',
      'RedisBackupTooOld',
      'RedisBackupFailing',
      'RedisOperatorTokenUnusable',
      'RedisInstanceManagerCertificateExpiresSoon',
      'RedisInstanceManagerCertificateReloadFailing',
      'RedisBackupRetentionFailing',
    ]) {
      assert.ok(alerts.includes(name), name);
    }
    const tmp = await tempDir('im-rules-');
    await writeFile(join(tmp, 'rules.yaml'), YAML.stringify({ groups: rule.spec.groups }));
    const check = promtool(['check', 'rules', 'rules.yaml'], tmp);
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /SUCCESS: \d+ rules found/);
    await copyFile(join(dir, 'rules.test.yaml'), join(tmp, 'rules.test.yaml'));
    const test = promtool(['test', 'rules', 'rules.test.yaml'], tmp);
    assert.equal(test.status, 0, test.output);
  });
});
