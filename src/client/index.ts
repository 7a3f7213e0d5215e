// redis-instance-manager-client: the typed client the operator uses to call a manager.
//
//   const im = createClient({ baseUrl: 'http://10.0.0.12:8080', token: () => readToken() });
//   const status = await im.getStatus();
import createFetchClient from 'openapi-fetch';
import { operations, type Operations } from './operations.js';
import type { CallOptions } from './runtime.js';
import type { components, paths } from './schema.js';

export { ProblemError, TimeoutError, type CallOptions, type Problem } from './runtime.js';
export { contentDigest, update, UpdateTimeoutError, type UpdateOptions, type UpdateOutcome } from './update.js';
export type { components, paths } from './schema.js';
export type * from './operations.js';
export type Schemas = components['schemas'];
export {
  switchover,
  SwitchoverError,
  type SwitchoverNode,
  type SwitchoverOptions,
  type SwitchoverReport,
  type SwitchoverStep,
  type SwitchoverStepName,
} from './switchover.js';

export interface ClientOptions extends CallOptions {
  /** e.g. http://10.0.0.12:8080 */
  baseUrl: string;
  /** The operator token, or a function that returns the current one (so it can rotate). */
  token?: string | (() => string);
  /** A fetch implementation (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
}

export type InstanceManagerClient = Operations;

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
  return operations(fetchClient, { timeoutMs: options.timeoutMs, signal: options.signal });
}
