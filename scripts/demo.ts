// `make demo`: three managers on local ports (one primary, two replicas), some keys, then a
// switchover through the published client, with before/after tables of role, offset and lag.
// Everything runs from dist/instance-manager.mjs in a temporary directory that is removed at
// the end; the exit code says whether the new primary is the requested one, the replicas
// follow it and no key was lost.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  createClient,
  switchover,
  type InstanceManagerClient,
  type Schemas,
  type SwitchoverNode,
} from '../generated/client/src/index.js';
import { freePort } from '../test/helpers/ports.js';
import { waitFor } from '../test/helpers/wait.js';

const KEYS = 1000;
const root = join(import.meta.dirname, '..');
const bundle = join(root, 'dist/instance-manager.mjs');

interface DemoNode extends SwitchoverNode {
  name: string;
  process: ChildProcess;
  url: string;
}

async function startNode(dir: string, name: string, role: 'primary' | 'replica', token: string): Promise<DemoNode> {
  const [httpPort, redisPort] = [await freePort(), await freePort()];
  const tokenFile = join(dir, `${name}.token`);
  await writeFile(tokenFile, token, { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [
      bundle,
      'run',
      '--listen',
      `127.0.0.1:${httpPort}`,
      '--data-dir',
      join(dir, name),
      '--redis-port',
      String(redisPort),
      '--token-file',
      tokenFile,
      '--initial-role',
      role,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${httpPort}`;
  const client = createClient({ baseUrl: url, token, timeoutMs: 5000 });
  await waitFor(`${name} to answer`, async () => (await client.getHealthz()).alive || undefined, 20_000);
  return { name, process: child, url, client, redis: { host: '127.0.0.1', port: redisPort } };
}

async function table(title: string, nodes: DemoNode[]): Promise<Schemas['Status'][]> {
  const statuses = await Promise.all(nodes.map((n) => n.client.getStatus()));
  console.log(`\n${title}`);
  const rows = nodes.map((n, i) => {
    const s = statuses[i];
    const primary = s.primary ? `${s.primary.host}:${s.primary.port} (${s.primary.linkStatus})` : '-';
    return [
      n.name,
      `127.0.0.1:${n.redis.port}`,
      s.role,
      String(s.replicationOffset),
      s.lagSeconds === null ? '-' : `${s.lagSeconds} s`,
      primary,
      String(s.epoch ?? '-'),
    ];
  });
  const header = ['node', 'redis', 'role', 'offset', 'lag', 'primary', 'epoch'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  return statuses;
}

async function follows(node: DemoNode, primary: DemoNode): Promise<boolean> {
  const s = await node.client.getStatus();
  return s.role === 'replica' && s.primary?.port === primary.redis.port && s.primary.linkStatus === 'up';
}

async function caughtUp(primary: InstanceManagerClient, replicas: DemoNode[]): Promise<boolean> {
  const offset = (await primary.getStatus()).replicationOffset;
  const offsets = await Promise.all(replicas.map(async (r) => (await r.client.getStatus()).replicationOffset));
  return offsets.every((o) => o >= offset);
}

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'im-demo-'));
  const token = randomBytes(24).toString('base64url');
  const nodes: DemoNode[] = [];
  const clients: Redis[] = [];
  try {
    console.log(`three managers from ${bundle}, data in ${dir}`);
    nodes.push(await startNode(dir, 'node-0', 'primary', token));
    nodes.push(await startNode(dir, 'node-1', 'replica', token));
    nodes.push(await startNode(dir, 'node-2', 'replica', token));
    const [n0, n1, n2] = nodes as [DemoNode, DemoNode, DemoNode];
    for (const replica of [n1, n2]) {
      await replica.client.demote({ body: { primaryHost: '127.0.0.1', primaryPort: n0.redis.port, epoch: 1 } });
    }
    await waitFor(
      'replicas to follow node-0',
      async () => ((await follows(n1, n0)) && (await follows(n2, n0))) || undefined,
      20_000,
    );

    const writer = new Redis({ host: '127.0.0.1', port: n0.redis.port, maxRetriesPerRequest: 1 });
    clients.push(writer);
    const pipeline = writer.pipeline();
    for (let i = 0; i < KEYS; i++) pipeline.set(`demo:${i}`, `value-${i}`);
    await pipeline.exec();
    console.log(`wrote ${KEYS} keys to node-0`);
    await waitFor('replicas to catch up', async () => (await caughtUp(n0.client, [n1, n2])) || undefined, 20_000);
    await table('before the switchover', nodes);

    console.log('\nswitchover node-0 → node-1 (epoch 2) through redis-instance-manager-client');
    const report = await switchover({ from: n0, to: n1, others: [n2], epoch: 2 });
    for (const step of report.steps)
      console.log(
        `  ${step.step.padEnd(20)} ${step.node.padEnd(8)} ${step.ok ? 'ok' : 'FAILED'}  ${step.durationMs.toFixed(1)} ms`,
      );
    console.log(`  write pause ${report.writePauseMs?.toFixed(1)} ms, total ${report.totalMs.toFixed(1)} ms`);

    await waitFor(
      'node-0 and node-2 to follow node-1',
      async () => ((await follows(n0, n1)) && (await follows(n2, n1))) || undefined,
      20_000,
    );
    const after = await table('after the switchover', nodes);

    const reader = new Redis({ host: '127.0.0.1', port: n1.redis.port, maxRetriesPerRequest: 1 });
    clients.push(reader);
    const keys = await reader.dbsize();
    const checks: [string, boolean][] = [
      ['node-1 is the primary', after[1].role === 'primary'],
      ['node-0 and node-2 are replicas of node-1', (await follows(n0, n1)) && (await follows(n2, n1))],
      [
        `no key lost (${keys} of ${KEYS} on node-1)`,
        keys === KEYS && (await reader.get(`demo:${KEYS - 1}`)) === `value-${KEYS - 1}`,
      ],
    ];
    console.log('');
    for (const [what, ok] of checks) console.log(`${ok ? 'OK  ' : 'FAIL'} ${what}`);
    return checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    for (const c of clients) c.disconnect();
    // SIGTERM: each manager shuts its redis-server down before it exits.
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.process.exitCode !== null) return resolve();
            n.process.once('exit', () => resolve());
            n.process.kill('SIGTERM');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
    console.log('cleaned up');
  }
}

process.exitCode = await main();
