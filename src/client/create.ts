// createClient(): one typed method per operation of the contract, bound to one manager.
//
//   const im = createClient({ baseUrl: 'http://10.0.0.12:8080', token: () => readToken() });
//   const status = await im.getStatus();
import createFetchClient from 'openapi-fetch';
import { operations } from './operations.js';
import { call, type CallOptions } from './runtime.js';
import type { paths } from './schema.js';

export interface ClientOptions extends CallOptions {
  /** e.g. http://10.0.0.12:8080 */
  baseUrl: string;
  /** The operator token, or a function that returns the current one (so it can rotate). */
  token?: string | (() => string);
  /** A fetch implementation (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
}

export type InstanceManagerClient = ReturnType<typeof operations<CallOptions>>;

export function createClient(options: ClientOptions): InstanceManagerClient {
  const fetchClient = createFetchClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
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
