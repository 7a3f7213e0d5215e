// The Kubernetes manifests and the Dockerfile, checked as far as this machine can: every
// object validates against the Kubernetes (and prometheus-operator) schemas, the container
// runs with flags the manager accepts, the probes hit operations of the contract, and the
// kustomization ties every file together.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Service, Secret } from 'kubernetes-models/v1';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { buildConfig, parseArgs } from '../../src/config/config.js';
import { restoreCommand } from '../../src/domain/backup/restore-cli.js';
import { templateFor, openapiDocument } from '../helpers/contract.js';
import { tempDir } from '../helpers/tmp.js';

const root = join(import.meta.dirname, '../..');
const configDir = join(root, 'config');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [key: string]: unknown;
}

type Validator = (object: Manifest) => void;
const validators: Record<string, Validator> = {
  'v1/Service': (o) => new Service(o).validate(),
  'v1/Secret': (o) => new Secret(o).validate(),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o).validate(),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o).validate(),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o).validate(),
  'cert-manager.io/v1/Certificate': (o) => new Certificate(o).validate(),
  'cert-manager.io/v1/Issuer': (o) => new Issuer(o as never).validate(),
};

/** Registers more kinds (monitoring CRDs) from other test files. */
export function registerValidator(apiVersionKind: string, validate: Validator): void {
  validators[apiVersionKind] = validate;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return (
    entries
      // kustomization.yaml itself and promtool's rule tests are not Kubernetes objects; the
      // optional components (config/components/*) are patches, checked on their own below.
      .filter(
        (e) =>
          e.isFile() &&
          /\.ya?ml$/.test(e.name) &&
          e.name !== 'kustomization.yaml' &&
          !e.name.endsWith('.test.yaml') &&
          !relative(dir, e.parentPath).startsWith('components'),
      )
      .map((e) => join(e.parentPath, e.name))
      .sort()
  );
}

async function manifests(): Promise<{ file: string; object: Manifest }[]> {
  const out: { file: string; object: Manifest }[] = [];
  for (const file of await yamlFiles(join(configDir, 'samples'))) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
      out.push({ file, object: doc.toJSON() as Manifest });
    }
  }
  return out;
}

describe('Kubernetes samples (config/samples)', () => {
  let all: { file: string; object: Manifest }[];
  let statefulSet: StatefulSet;
  before(async () => {
    all = await manifests();
    statefulSet = new StatefulSet(all.find((m) => m.object.kind === 'StatefulSet')!.object);
  });

  it('every object validates against its schema', () => {
    assert.ok(all.length >= 6);
    for (const { file, object } of all) {
      const validate = validators[`${object.apiVersion}/${object.kind}`];
      assert.ok(validate, `${relative(root, file)}: no validator for ${object.apiVersion} ${object.kind}`);
      validate(object);
    }
  });

  it('the kustomization lists every manifest file', async () => {
    const kustomization = parseAllDocuments(
      await readFile(join(configDir, 'kustomization.yaml'), 'utf8'),
    )[0].toJSON() as { resources: string[] };
    const files = (await yamlFiles(configDir)).map((f) => relative(configDir, f)).filter((f) => !f.endsWith('.json'));
    assert.deepEqual([...kustomization.resources].sort(), files.sort());
  });

  it('runs the manager with flags it accepts', () => {
    const container = statefulSet.spec!.template.spec!.containers.find((c) => c.name === 'redis')!;
    const [bundle, command, ...flags] = container.args!;
    assert.equal(bundle, '/var/lib/instance-manager/instance-manager.mjs');
    assert.equal(command, 'run');
    const config = buildConfig(parseArgs(flags, {}));
    assert.equal(config.listen.port, 8080);
    assert.equal(config.initialRole, 'replica');
    assert.equal(config.tokenFile, '/etc/instance-manager/token/token');
    // Secrets come from mounted files, never from argv or the environment.
    assert.ok(!JSON.stringify(container).match(/REPLACE-WITH/));
    const mounts = container.volumeMounts!.map((m) => m.mountPath);
    assert.ok(mounts.includes('/etc/instance-manager/token') && mounts.includes('/etc/instance-manager/redis'));
  });

  it("serves HTTPS with the certificate cert-manager issues, and takes writes with the operator's certificate", () => {
    const pod = statefulSet.spec!.template.spec!;
    const container = pod.containers.find((c) => c.name === 'redis')!;
    const config = buildConfig(parseArgs(container.args!.slice(2), {}));
    assert.deepEqual(config.tls, {
      certFile: '/etc/instance-manager/tls/tls.crt',
      keyFile: '/etc/instance-manager/tls/tls.key',
      clientCaFile: '/etc/instance-manager/tls/ca.crt',
      clientName: 'redis-operator',
    });
    // A directory mount (no subPath) of the Secret the server Certificate writes, so renewals reach the pod.
    const mount = container.volumeMounts!.find((m) => m.mountPath === '/etc/instance-manager/tls')!;
    assert.equal(mount.subPath, undefined);
    const volume = pod.volumes!.find((v) => v.name === mount.name)!;
    const certificates = all
      .filter((m) => m.object.kind === 'Certificate')
      .map((m) => m.object as unknown as Certificate);
    const server = certificates.find((c) => c.spec!.secretName === volume.secret!.secretName)!;
    assert.ok(server, 'a Certificate writes the mounted Secret');
    assert.ok(server.spec!.usages!.includes('server auth'));
    assert.ok(server.spec!.dnsNames!.includes('redis'), 'the name Prometheus and the operator check');
    const client = certificates.find((c) => c.spec!.commonName === config.tls!.clientName)!;
    assert.ok(client.spec!.usages!.includes('client auth'));
    // Both are issued by the CA whose certificate is the Secret's ca.crt (the client CA).
    assert.equal(client.spec!.issuerRef.name, server.spec!.issuerRef.name);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
      assert.equal(probe!.httpGet!.scheme, 'HTTPS');
    }
  });

  it('probes the contract: startup and liveness on /healthz, readiness on /readyz, port 8080', () => {
    const container = statefulSet.spec!.template.spec!.containers[0];
    const http = container.ports!.find((p) => p.name === 'http')!;
    assert.equal(http.containerPort, 8080);
    const paths = openapiDocument.paths as Record<string, { get?: { operationId: string } }>;
    const probe = (p: typeof container.livenessProbe) => paths[templateFor(p!.httpGet!.path!)!].get!.operationId;
    assert.equal(probe(container.startupProbe), 'getHealthz');
    assert.equal(probe(container.livenessProbe), 'getHealthz');
    assert.equal(probe(container.readinessProbe), 'getReadyz');
    assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory);
  });

  it('runs as non-root with a read-only root filesystem; the bundle lives on a writable volume', () => {
    const pod = statefulSet.spec!.template.spec!;
    assert.equal(pod.securityContext!.runAsNonRoot, true);
    for (const c of [...pod.initContainers!, ...pod.containers]) {
      assert.equal(c.securityContext!.readOnlyRootFilesystem, true, c.name);
      assert.equal(c.securityContext!.allowPrivilegeEscalation, false, c.name);
    }
    const manager = pod.volumes!.find((v) => v.name === 'manager')!;
    assert.ok(manager.emptyDir);
    assert.match(
      pod.initContainers![0].command!.join(' '),
      /cp .*instance-manager\.mjs \/var\/lib\/instance-manager\//,
    );
  });

  it('admits the API port only from the operator and monitoring namespaces', () => {
    const policy = all.find((m) => m.object.kind === 'NetworkPolicy')!.object as unknown as NetworkPolicy;
    const api = policy.spec!.ingress!.find((rule) => rule.ports!.some((p) => p.port === 8080))!;
    const namespaces = api.from!.map((f) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']).sort();
    assert.deepEqual(namespaces, ['monitoring', 'redis-operator-system']);
    assert.ok(api.from!.every((f) => f.podSelector === undefined && f.ipBlock === undefined));
  });

  it('keeps at most one pod down in a voluntary disruption', () => {
    const pdb = all.find((m) => m.object.kind === 'PodDisruptionBudget')!.object as unknown as PodDisruptionBudget;
    assert.equal(pdb.spec!.maxUnavailable, 1);
  });
});

describe('the backups component (config/components/backups)', () => {
  const dir = join(configDir, 'components/backups');
  interface Patch {
    spec: { template: { spec: { initContainers: Container[]; containers: Container[] } } };
  }
  type Container = NonNullable<StatefulSet['spec']>['template']['spec'] extends infer P
    ? P extends { containers: (infer C)[] }
      ? C
      : never
    : never;
  let patch: Patch;
  let patched: StatefulSet;

  before(async () => {
    const component = parseAllDocuments(await readFile(join(dir, 'kustomization.yaml'), 'utf8'))[0].toJSON() as {
      kind: string;
      patches: { path: string }[];
    };
    assert.equal(component.kind, 'Component');
    patch = parseAllDocuments(await readFile(join(dir, component.patches[0].path), 'utf8'))[0].toJSON() as Patch;
    // The strategic merge kustomize does: containers and env merged by name.
    const base = parseAllDocuments(await readFile(join(configDir, 'samples/statefulset.yaml'), 'utf8'))[0].toJSON() as {
      spec: Patch['spec'];
    };
    const pod = base.spec.template.spec;
    const extra = patch.spec.template.spec;
    pod.initContainers = [...extra.initContainers, ...pod.initContainers];
    for (const c of extra.containers) {
      const into = pod.containers.find((x) => x.name === c.name)!;
      into.env = [...(into.env ?? []), ...(c.env ?? [])];
    }
    patched = new StatefulSet(base as never);
  });

  it('patches a StatefulSet that still validates', () => patched.validate());

  it('restores `latest` into an empty volume only, with flags the restore command accepts', async () => {
    const init = patch.spec.template.spec.initContainers.find((c) => c.name === 'restore-latest')!;
    const [bundle, command, ...flags] = init.args!;
    assert.equal(bundle, '/opt/instance-manager/instance-manager.mjs');
    assert.equal(command, 'restore');
    assert.ok(flags.includes('--if-empty'), 'a pod that has data keeps it');
    const env = Object.fromEntries((init.env ?? []).map((e) => [e.name, e.value ?? '']));
    // Kubernetes expands $(VAR) in args from the container's environment.
    const from = flags[flags.indexOf('--from') + 1].replace(/\$\((\w+)\)/g, (_, name: string) => env[name]);
    assert.match(from, /^s3:\/\/[^/]+\/redis-prod\/latest$/);
    // The flags parse (bad usage would be exit 2): with no storage to talk to, the restore gets
    // as far as listing the prefix and fails there (exit 1).
    const errors: string[] = [];
    const dataDir = join(await tempDir('im-init-'), 'data');
    const expanded = flags.map((f, i) => (f.startsWith('s3://') ? from : flags[i - 1] === '--data-dir' ? dataDir : f));
    const code = await restoreCommand(
      [...expanded, '--s3-endpoint', 'http://127.0.0.1:9'],
      env,
      () => {},
      (line) => errors.push(line),
    );
    assert.equal(code, 1, errors.join('\n'));
    assert.match(errors.join('\n'), /listing of s3:\/\/REPLACE-WITH-THE-BUCKET\/redis-prod\//);
    assert.equal(init.image, patched.spec!.template.spec!.containers[0].image, 'the same build as the manager');
    assert.equal(init.securityContext!.readOnlyRootFilesystem, true);
    assert.ok(init.volumeMounts!.some((m) => m.name === 'data' && m.mountPath === '/data'));
    const manager = patched.spec!.template.spec!.containers.find((c) => c.name === 'redis')!;
    const dataDirOf = (args: string[]) => args[args.indexOf('--data-dir') + 1];
    assert.equal(dataDirOf(flags), dataDirOf(manager.args!), 'the restore writes where the manager reads');
    assert.match(
      dataDirOf(flags),
      /^\/data\/[^/]+$/,
      'a directory of the volume, not its root (fsGroup owns the root)',
    );
  });

  it('gives the manager the same bucket and prefix, and a retention policy', () => {
    const manager = patched.spec!.template.spec!.containers.find((c) => c.name === 'redis')!;
    const init = patched.spec!.template.spec!.initContainers!.find((c) => c.name === 'restore-latest')!;
    const value = (c: typeof manager, name: string) => c.env!.find((e) => e.name === name)?.value;
    for (const name of ['IM_S3_BUCKET', 'IM_S3_PREFIX', 'IM_S3_REGION'])
      assert.equal(value(manager, name), value(init, name), name);
    const env = Object.fromEntries(manager.env!.filter((e) => e.value).map((e) => [e.name, e.value!]));
    const config = buildConfig(parseArgs([], env));
    assert.equal(config.s3?.prefix, 'redis-prod');
    assert.ok(config.backupRetention.count! >= 1);
  });
});

describe('Dockerfile', () => {
  let dockerfile: string;
  before(async () => {
    dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
  });

  it('builds on Node 24 slim with Debian redis-server and tini as PID 1', () => {
    assert.match(dockerfile, /^FROM node:24-[a-z]+-slim$/m);
    assert.match(dockerfile, /apt-get install -y --no-install-recommends redis-server tini/);
    assert.match(dockerfile, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node"\]$/m);
  });

  it('copies the bundle as the only application file and runs as a non-root user with data on a volume', async () => {
    const copies = dockerfile.match(/^(COPY|ADD) .*/gm) ?? [];
    assert.deepEqual(
      copies.map((c) => c.split(' ').at(-2)),
      ['dist/instance-manager.mjs'],
    );
    assert.match(dockerfile, /^USER 10001:10001$/m);
    assert.match(dockerfile, /^VOLUME \["\/data"\]$/m);
    assert.equal(
      (await readFile(join(root, '.dockerignore'), 'utf8'))
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .join(' '),
      '* !dist/instance-manager.mjs',
    );
  });
});
