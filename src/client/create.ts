// createClient(): one typed method per operation of the contract, bound to one manager.
//
//   const im = createClient({ baseUrl: 'http://10.0.0.12:8080', token: () => readToken() });
//   const status = await im.getStatus();
//
// A manager that serves HTTPS with a private CA, and asks writers for a client certificate:
//
//   const im = createClient({
//     baseUrl: 'https://10.0.0.12:8080',
//     token: () => readToken(),
//     tls: { ca: readFileSync('ca.crt'), cert: readFileSync('tls.crt'), key: readFileSync('tls.key'), serverName: 'redis' },
//   });
import createFetchClient from 'openapi-fetch';
import { operations } from './operations.js';
import { call, type CallOptions } from './runtime.js';
import type { paths } from './schema.js';
import { tlsFetch, type TlsOptions } from './tls-fetch.js';

export interface ClientOptions extends CallOptions {
  /** e.g. http://10.0.0.12:8080, or https://… for a manager run with --tls-cert-file */
  baseUrl: string;
  /** The operator token, or a function that returns the current one (so it can rotate). */
  token?: string | (() => string);
  /**
   * HTTPS settings: the CA that signs the manager's certificate, a client certificate and key
   * (managers run with --tls-client-ca-file), the name to check the certificate against.
   * Needs an https:// baseUrl. Read once: create a new client when the files rotate.
   */
  tls?: TlsOptions;
  /** A fetch implementation (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
}

export type InstanceManagerClient = ReturnType<typeof operations<CallOptions>>;

function fetchFor(options: ClientOptions): ClientOptions['fetch'] {
  if (options.tls === undefined) return options.fetch;
  if (options.fetch !== undefined) throw new TypeError('createClient: give either `tls` or `fetch`, not both');
  if (!options.baseUrl.startsWith('https://')) {
    throw new TypeError(`createClient: \`tls\` needs an https:// baseUrl, not ${options.baseUrl}`);
  }
  return tlsFetch(options.tls);
}

export function createClient(options: ClientOptions): InstanceManagerClient {
  const fetchClient = createFetchClient<paths>({ baseUrl: options.baseUrl, fetch: fetchFor(options) });
  const { token } = options;
  if (token !== undefined) {
    fetchClient.use({
      onRequest({ request }) {
        request.headers.set('Authorization', `Bearer ${typeof token === 'function' ? token() : token}`);
        return request;
      },
    });
  }
  const defaults: CallOptions = { timeoutMs: options.timeoutMs, signal: options.signal };
  return operations<CallOptions>(fetchClient, (callOptions, send) => call(defaults, callOptions, send));
}
