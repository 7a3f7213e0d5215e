// The kubelet probes every pod every few seconds and Prometheus scrapes it: those requests
// are plain reads (GET, no parameters, no body), with nothing for express to parse or for
// openapi-backend to validate. They go straight to their handler; every other request,
// and any plain read with a query string, takes the full express + openapi-backend route.
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
    if (req.method !== 'GET' || req.url === undefined) return undefined;
    const route = routes.get(req.url);
    if (!route) return undefined;
    contextOf(res).operationId = route.operationId;
    return route.read(req, res);
  };
}
