// Rendering of the redis.conf the manager writes into the data directory. Pure: the
// supervisor decides what goes in, this decides how it is written, for the version of the
// server that will read it (a directive an older server does not know stops it at start).
import { supports, type RedisServer } from '../../redis/capabilities.js';

export interface RedisConfInput {
  /** The server that reads the file (from `redis-server --version`). */
  server: RedisServer;
  port: number;
  dataDir: string;
  pidFile: string;
  /** Where the replica of this node should replicate from; null for a primary. */
  replicaOf: { host: string; port: number } | null;
  /** A file holding requirepass/masterauth, so secrets never reach argv. */
  secretsFile: string | null;
  /** The user's own fragment, included last so it can override anything. */
  userConfig: string | null;
}

/** Quotes a value for redis.conf (double quotes, backslash escapes). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function renderRedisConf(input: RedisConfInput): string {
  const lines = [
    '# Written by instance-manager at every start of redis-server; edits here are lost.',
    '# Put your own settings in the file given to --redis-config.',
    `port ${input.port}`,
    // Replicas and clients reach Redis through the pod IP, on IPv4 and, where the host has
    // it, IPv6. Before 6.2 there is no optional address (`-::*` fails the start); with no
    // bind line those versions listen on the same addresses. Without a password, Redis's own
    // protected mode still refuses non-loopback clients.
    ...(supports(input.server, 'dualStackBind') ? ['bind * -::*'] : []),
    'daemonize no',
    'supervised no',
    `dir ${quote(input.dataDir)}`,
    `pidfile ${quote(input.pidFile)}`,
    'dbfilename dump.rdb',
    'replica-read-only yes',
    'replica-serve-stale-data yes',
  ];
  // The role the node last had: a restarted replica must come back as a replica of the
  // same primary, never as an empty writable primary whose full resync wipes the others.
  if (input.replicaOf) lines.push(`replicaof ${input.replicaOf.host} ${input.replicaOf.port}`);
  if (input.secretsFile) lines.push(`include ${quote(input.secretsFile)}`);
  if (input.userConfig) lines.push(`include ${quote(input.userConfig)}`);
  return lines.join('\n') + '\n';
}

/** The secrets fragment: the same password for clients and for the link to the primary. */
export function renderSecretsConf(password: string): string {
  return `requirepass ${quote(password)}\nmasterauth ${quote(password)}\n`;
}
