// `instance-manager bridge <run flags…>`: the process that accepts on the manager's socket
// while an exec replaces the manager (internal; started by domain/upgrade/bridge.ts, which
// says why). It loads, says it is ready, and accepts only once the running build tells it
// to (BRIDGE_ACCEPT_SIGNAL, just before that build drains). Then it serves the socket with
// the same early server a starting manager has:
//   - a liveness probe is answered at once, by the same rule (early-probes.ts);
//   - any other request is held. When the bridge is told to go (the new build serves, a
//     request has been held HOLD_LIMIT_MS, or LIFETIME_MS passed), it stops accepting, then
//     hands each held request that needs no credentials (probes, metrics, status:
//     `security: []` in the contract) on to whoever accepts on the socket now, and relays
//     the answer. One that needs credentials cannot be handed on with them (a client
//     certificate belongs to this connection), so it gets 503 with Retry-After, as a
//     request the manager cannot take while it starts.
// Then it exits, once its connections have ended.
import { request as httpRequest, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { buildConfig, parseArgs } from '../config/config.js';
import { contractOperations } from '../contract.js';
import { BRIDGE_ACCEPT_SIGNAL, BRIDGE_READY } from '../domain/upgrade/bridge.js';
import { takeLaunch } from '../domain/upgrade/launch.js';
import { createLogger } from '../log.js';
import { answerStarting, listenEarly, loopbackFor, type EarlyOptions } from './early-server.js';
import { earlyLiveness } from './early-probes.js';

/**
 * A bridge nobody ends (the new build never came up) stops by itself this long after it
 * began to accept; one never told to accept (the update was refused, or the build that
 * started it died) this long after that build's self-test would have given up.
 */
const LIFETIME_MS = 10_000;
/**
 * Nor is a request held longer than this: the new build is slow to serve, or is a build
 * that does not know to end a bridge (a downgrade to one older than it). The bridge then
 * ends, and what comes next waits in the backlog for the new build, as without a bridge.
 */
const HOLD_LIMIT_MS = 2000;
/** How long a handed-on request may take; what is still open after it is cut. */
const FORWARD_TIMEOUT_MS = 10_000;

/** Hop-by-hop headers: they describe one connection, not the request or its answer. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function endToEnd<T extends Record<string, unknown>>(headers: T): Partial<T> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name))) as Partial<T>;
}

/** GET and HEAD of the operations that need no credentials, by path. */
const ANONYMOUS_READS = new Set(
  contractOperations.filter((op) => op.anonymous && op.method === 'GET').map((op) => op.path),
);

function anonymousRead(req: IncomingMessage): boolean {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || req.url === undefined) return false;
  const query = req.url.indexOf('?');
  return ANONYMOUS_READS.has(query === -1 ? req.url : req.url.slice(0, query));
}

type Request = typeof httpRequest;

/** What the bridge did, for its one log line. */
interface Tally {
  answered: number;
  handedOn: number;
  refused: number;
}

/** Hands a request on to `target` (this same socket, now another process's) and relays the answer. */
function handOn(target: { host: string; port: number; request: Request; tls: boolean }, tally: Tally): RequestListener {
  return (req, res: ServerResponse) => {
    if (!anonymousRead(req)) {
      tally.refused++;
      return answerStarting(res, 'the manager is being replaced by a new build; retry in a moment');
    }
    tally.handedOn++;
    const upstream = target.request(
      {
        host: target.host,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: endToEnd(req.headers),
        agent: false,
        timeout: FORWARD_TIMEOUT_MS,
        // Our own socket: its certificate need not name the loopback.
        ...(target.tls ? { rejectUnauthorized: false } : {}),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...endToEnd(answer.headers), connection: 'close' });
        answer.pipe(res);
      },
    );
    upstream.once('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.once('error', () => {
      if (res.headersSent) res.destroy();
      else answerStarting(res, 'the new build did not answer in time');
    });
    upstream.end();
  };
}

export async function bridgeCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const config = buildConfig(parseArgs(args, env));
  const { listenFd } = takeLaunch(env);
  if (listenFd === undefined) {
    process.stderr.write('instance-manager bridge: no listening socket handed over\n');
    return 2;
  }
  const tls = config.tls && (await import('./tls.js')).TlsTransport.load(config.tls);
  const request = tls ? (await import('node:https')).request : httpRequest;
  const timers: NodeJS.Timeout[] = [];
  let holding = false;
  let end: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  let waiting: NodeJS.Timeout | undefined;
  const told = await new Promise<boolean>((resolve) => {
    waiting = setTimeout(() => resolve(false), config.updateSelfTestTimeoutMs + LIFETIME_MS);
    process.on(BRIDGE_ACCEPT_SIGNAL, () => resolve(true));
    void ended.then(() => resolve(false));
    process.stdout.write(`${BRIDGE_READY}\n`);
  });
  clearTimeout(waiting);
  // Never told: it never accepted, so it holds nothing and has nothing to say.
  if (!told) return 0;
  timers.push(setTimeout(end, LIFETIME_MS));
  const tally: Tally = { answered: 0, handedOn: 0, refused: 0 };
  const liveness = earlyLiveness(config);
  const answerEarly: EarlyOptions['answerEarly'] = (req, res) => {
    if (liveness?.(req, res) === true) {
      tally.answered++;
      return true;
    }
    if (!holding) timers.push(setTimeout(end, HOLD_LIMIT_MS));
    holding = true;
    return false;
  };
  const early = await listenEarly(config.listen, { fd: listenFd, answerEarly, tls });
  const { address, port } = early.server.address() as AddressInfo;
  await ended;
  for (const timer of timers) clearTimeout(timer);
  // Stop accepting first (drain closes the listener before it returns): what is handed on
  // must reach the new build, not come back here.
  const drained = early.drain(FORWARD_TIMEOUT_MS);
  early.attach(handOn({ host: loopbackFor(address), port, request, tls: tls !== undefined }, tally));
  await drained;
  // To standard error: standard output was the pipe to the build that started the bridge.
  createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }))
    .child({ module: 'bridge' })
    .info(tally, 'the bridge accepted through the exec and has ended');
  return 0;
}
