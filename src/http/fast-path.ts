// The kubelet probes every pod every few seconds and Prometheus scrapes it: those requests
// are plain reads (GET or HEAD, no declared parameters, no body), with nothing for express to
// parse or for openapi-backend to validate. They go straight to their handler; every other
// request takes the full express + openapi-backend route. A plain read declares no query
// parameter, so whatever query string it carries (Prometheus `params:`, a cache-buster) is
// ignored: it is cut off before the route lookup, which costs one indexOf.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contractOperations } from '../contract.js';
import type { PlainRead } from './openapi.js';
import { contextOf } from './request-context.js';

export type FastPath = (req: IncomingMessage, res: ServerResponse) => Promise<void> | undefined;

export function createFastPath(reads: Partial<Record<string, PlainRead>>): FastPath {
  const routes = new Map<string, { operationId: string; read: PlainRead }>();
  for (const { path, method, operationId, plain } of contractOperations) {
    const read = reads[operationId];
    if (method === 'GET' && plain && read) routes.set(path, { operationId, read });
  }
  return (req, res) => {
    // HEAD is the same read: Node sends its status and headers and drops the body.
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.url === undefined) return undefined;
    const query = req.url.indexOf('?');
    const route = routes.get(query === -1 ? req.url : req.url.slice(0, query));
    if (!route) return undefined;
    const context = contextOf(res);
    context.operationId = route.operationId;
    context.plainRead = true;
    return route.read(req, res);
  };
}
