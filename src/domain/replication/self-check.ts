// "Is this primary me?" A demote to the node itself turns it into a read-only replica of
// itself whose link never comes up, and that is persisted. Names are not compared as text:
// Redis resolves the host with getaddrinfo, so `0x7f000001`, `0:0:0:0:0:0:0:1`,
// `::ffff:127.0.0.2`, `ip6-loopback` and the pod's own /etc/hosts aliases all reach this
// node. The decision is made on what the name resolves to, in three steps:
//   1. a host written as an IPv4 address in a legacy notation (0x7f000001, 0x7f.1) is
//      refused outright: getaddrinfo reads it as an address, other tools as a name, and the
//      status would report a primary nobody recognises. It must be written as a dotted quad;
//   2. the host is resolved (getaddrinfo, as Redis does, so /etc/hosts counts), within a
//      timeout; a loopback or unspecified address, or one of this pod's interface addresses,
//      on our own Redis port is this node (several nodes on 127.0.0.1 with different ports,
//      as in tests and `make demo`, stay allowed);
//   3. whatever answers at each resolved address and the port is asked for its run_id (a
//      port forward, a Service or a NAT that leads back to this node): our own run_id is
//      this node. A target that does not answer in time cannot be us and is allowed.
// The pure rules are exported for table tests; SelfCheck does the I/O.
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NameResolutionError, ValidationError, messageOf } from '../../errors.js';
import { connectionOptions, type RedisAdapter, type RedisEndpoint } from '../../redis/adapter.js';
import { field, parseInfo } from '../../redis/info.js';
import type { PrimaryAddress } from '../state/state-file.js';

/** How many of a name's addresses are asked for their run_id (a name may list many). */
const MAX_PROBED_ADDRESSES = 8;

/** Names that mean "this machine" whether or not /etc/hosts lists them (RFC 6761, Debian). */
const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

/** RFC 6761: `localhost` and any name under it, plus Debian's ip6-localhost/ip6-loopback. */
export function isLoopbackName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return LOOPBACK_NAMES.has(name) || name.endsWith('.localhost');
}

/** One inet_aton part: 0x… hex, 0… octal, else decimal; undefined when it is not a number. */
function legacyPart(part: string): number | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]*$/.test(part)) return parseInt(part, 8);
  if (/^[1-9][0-9]*$/.test(part)) return parseInt(part, 10);
  return undefined;
}

/**
 * The dotted quad that getaddrinfo (inet_aton) reads a host as, when the host is an IPv4
 * address in a notation other than the plain dotted quad: hex or octal parts, or fewer than
 * four parts (`0x7f000001`, `0x7f.0x0.0x0.0x1`, `0177.0.0.1`, `127.1`). Null for anything
 * else, the plain dotted quad included.
 */
export function legacyIPv4(host: string): string | null {
  const text = host.replace(/\.$/, '');
  if (isIP(text) === 4) return null;
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const values = parts.map(legacyPart);
  if (values.some((v) => v === undefined || !Number.isSafeInteger(v))) return null;
  const numbers = values as number[];
  // The last part fills the bytes the earlier ones leave: a (32 bits), a.b (8+24), a.b.c (8+8+16).
  const lastBits = 8 * (5 - numbers.length);
  const head = numbers.slice(0, -1);
  const last = numbers[numbers.length - 1];
  if (head.some((v) => v > 0xff) || last >= 2 ** lastBits) return null;
  const bytes = [...head];
  for (let shift = lastBits - 8; shift >= 0; shift -= 8) bytes.push(Math.floor(last / 2 ** shift) % 256);
  return bytes.join('.');
}

/** Addresses that reach this machine whatever its interfaces: loopback and unspecified. */
const LOCAL = new BlockList();
LOCAL.addSubnet('127.0.0.0', 8, 'ipv4');
LOCAL.addAddress('0.0.0.0', 'ipv4');
LOCAL.addAddress('::1', 'ipv6');
LOCAL.addAddress('::', 'ipv6');

function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const kind = isIP(address);
  return kind === 4 ? 'ipv4' : kind === 6 ? 'ipv6' : undefined;
}

/** Without an IPv6 zone (`fe80::1%eth0`), which BlockList does not parse. */
function withoutZone(address: string): string {
  return address.replace(/%.*$/, '');
}

/** Loopback or unspecified, in any spelling (IPv4-mapped IPv6 included). */
export function isLocalAddress(address: string): boolean {
  const bare = withoutZone(address);
  const kind = family(bare);
  return kind !== undefined && LOCAL.check(bare, kind);
}

/**
 * The first of `addresses` that is this node on `port`: a loopback or unspecified address,
 * or one of `interfaceAddresses`, compared as addresses (`0:0:0:0:0:0:0:1` is `::1`,
 * `::ffff:10.1.2.3` is `10.1.2.3`). Undefined when none is, or when the port is not ours.
 */
export function selfAddress(
  addresses: readonly string[],
  port: number,
  own: { port: number; interfaceAddresses: readonly string[] },
): string | undefined {
  if (port !== own.port) return undefined;
  const mine = new BlockList();
  for (const address of own.interfaceAddresses) {
    const bare = withoutZone(address);
    const kind = family(bare);
    if (kind) mine.addAddress(bare, kind);
  }
  return addresses.find((address) => {
    const bare = withoutZone(address);
    const kind = family(bare);
    return kind !== undefined && (LOCAL.check(bare, kind) || mine.check(bare, kind));
  });
}

/** This pod's own addresses, from its network interfaces. */
export function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

export type LookupAll = (host: string) => Promise<string[]>;

/** getaddrinfo, as Redis resolves a primary's host (/etc/hosts first, then DNS). */
export const lookupAll: LookupAll = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, order: 'verbatim' }, (err, found) =>
      err ? reject(err) : resolve(found.map((a) => a.address)),
    ),
  );

/** getaddrinfo's answers for a name that does not exist (as opposed to a resolver failure). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

export interface SelfCheckOptions {
  /** The port of this node's Redis. */
  ownPort: number;
  /** This node's Redis: its run_id is the one a target must not report. */
  redis: RedisAdapter;
  /** Credentials to ask a target for its run_id: this node's own (a replica sends them too). */
  credentials: Pick<RedisEndpoint, 'username' | 'password' | 'tls'>;
  /** Bound on the name resolution, and separately on the run_id exchange. */
  timeoutMs: number;
  log: Logger;
  lookup?: LookupAll;
  interfaceAddresses?: () => string[];
}

export class SelfCheck {
  /**
   * Lookups still running, by host. getaddrinfo cannot be cancelled and occupies one of
   * libuv's four pool threads (shared with file I/O) until it ends: a caller retrying against
   * a hung resolver shares the pending lookup instead of starting one more each time.
   */
  private readonly lookups = new Map<string, Promise<string[]>>();

  constructor(private readonly options: SelfCheckOptions) {}

  /** Throws ValidationError (400) when `primary` is this node, NameResolutionError (503) when that cannot be told. */
  async assertNotSelf(primary: PrimaryAddress): Promise<void> {
    const { host, port } = primary;
    const legacy = legacyIPv4(host);
    if (legacy !== null) {
      throw new ValidationError(
        `primaryHost ${JSON.stringify(host)} is the IPv4 address ${legacy} in a legacy notation that tools read differently; write it as ${legacy}`,
        [{ path: 'primaryHost', message: `write the address as ${legacy}` }],
      );
    }
    if (port === this.options.ownPort && isLoopbackName(host)) throw itself(primary, 'a loopback name');
    const addresses = await this.resolve(host);
    const local = selfAddress(addresses, port, {
      port: this.options.ownPort,
      interfaceAddresses: (this.options.interfaceAddresses ?? interfaceAddresses)(),
    });
    if (local !== undefined) {
      const kind = isLocalAddress(local) ? 'a loopback address' : 'an address of this pod';
      throw itself(primary, local === host ? kind : `it resolves to ${local}, ${kind}`);
    }
    const answering = await this.answersWithOwnRunId(addresses, port);
    if (answering !== undefined) {
      throw itself(primary, `the Redis at ${describe(answering, port)} reports this instance's own run_id`);
    }
  }

  /** The host's addresses; none when the name does not exist (it cannot lead here now). */
  private async resolve(host: string): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare) !== 0) return [bare];
    const { timeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new NameResolutionError(
              `primaryHost ${JSON.stringify(host)} did not resolve within ${timeoutMs} ms, so whether it names this instance cannot be told; nothing changed, try again`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.lookup(host), timeout]);
    } catch (err) {
      if (err instanceof NameResolutionError) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_SUCH_NAME.has(code)) {
        // Redis keeps retrying the name: the link stays down until it exists, which status shows.
        this.options.log.warn(
          { host },
          'primaryHost does not resolve (yet); the replication link stays down until it does',
        );
        return [];
      }
      throw new NameResolutionError(
        `primaryHost ${JSON.stringify(host)} could not be resolved (${code || messageOf(err)}), so whether it names this instance cannot be told; nothing changed, try again`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private lookup(host: string): Promise<string[]> {
    let pending = this.lookups.get(host);
    if (pending === undefined) {
      pending = (this.options.lookup ?? lookupAll)(host);
      this.lookups.set(host, pending);
      const forget = () => void this.lookups.delete(host);
      pending.then(forget, forget);
    }
    return pending;
  }

  /** The first address where a Redis answers with our own run_id, if any. */
  private async answersWithOwnRunId(addresses: readonly string[], port: number): Promise<string | undefined> {
    if (addresses.length === 0) return undefined;
    const targets = [...new Set(addresses)].slice(0, MAX_PROBED_ADDRESSES);
    const [own, ...theirs] = await Promise.all([
      this.options.redis.info('server').then(runIdOf, () => undefined),
      ...targets.map((address) => this.runIdAt(address, port)),
    ]);
    // Our own Redis cannot say who it is (down, hung): the address rules above are all there is.
    if (own === undefined) return undefined;
    const index = theirs.findIndex((runId) => runId === own);
    return index < 0 ? undefined : targets[index];
  }

  /** The run_id of the Redis at address:port, or undefined when none answers in time. */
  private async runIdAt(address: string, port: number): Promise<string | undefined> {
    const { timeoutMs, credentials } = this.options;
    const client = new Redis({
      ...connectionOptions(
        { ...credentials, host: withoutZone(address), port },
        timeoutMs,
        'instance-manager-self-check',
      ),
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableReadyCheck: false,
      lazyConnect: true,
    });
    client.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
      const asked = (async () => {
        await client.connect();
        return runIdOf(String(await client.call('INFO', 'server')));
      })();
      return await Promise.race([asked.catch(() => undefined), deadline]);
    } finally {
      clearTimeout(timer);
      client.disconnect(false);
    }
  }
}

function runIdOf(info: string): string | undefined {
  return field(parseInfo(info), 'run_id') || undefined;
}

function describe(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function itself(primary: PrimaryAddress, why: string): ValidationError {
  return new ValidationError(
    `${describe(primary.host, primary.port)} is this instance itself (${why}); a node cannot replicate from itself`,
    [{ path: 'primaryHost', message: 'names this instance itself' }],
  );
}
