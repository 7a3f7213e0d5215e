// The response class of every server the manager listens with (early-server.ts): a Node
// ServerResponse that carries its request's context (request-context.ts) as a field. A weak
// map from responses to contexts did the same, but every young collection had to sweep its
// entries, a few hundred per collection under load, and that tripled the pause of each one
// (bench/README.md). Kept apart from request-context.ts so that the early server, which
// listens before anything else loads, does not load node:crypto for it.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { RequestContext } from './request-context.js';

export class ContextResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Set by the request listener's first step (requestTracker), or on first use (contextOf). */
  context: RequestContext | undefined = undefined;
}
