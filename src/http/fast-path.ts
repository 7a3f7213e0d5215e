// The kubelet probes every pod every few seconds and Prometheus scrapes it: those requests
// are plain reads (GET, no parameters, no body), with nothing for express to parse or for
// openapi-backend to validate. They go straight to their handler; every other request,
// and any plain read with a query string, takes the full express + openapi-backend route.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contract } from '../contract.js';
import type { PlainRead } from './openapi.js';
import { contextOf } from './request-context.js';

interface ContractOperation {
  operationId: string;
  parameters?: unknown[];
  requestBody?: unknown;
}

/** The contract's GET operations that take no parameters and no body, by path. */
function plainReadPaths(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, item] of Object.entries(contract.paths as Record<string, Record<string, ContractOperation>>)) {
    const get = item.get;
    if (get && !get.requestBody && (get.parameters ?? []).length === 0) out.set(path, get.operationId);
  }
  return out;
}

export type FastPath = (req: IncomingMessage, res: ServerResponse) => Promise<void> | undefined;

export function createFastPath(reads: Partial<Record<string, PlainRead>>): FastPath {
  const routes = new Map<string, { operationId: string; read: PlainRead }>();
  for (const [path, operationId] of plainReadPaths()) {
    const read = reads[operationId];
    if (read) routes.set(path, { operationId, read });
  }
  return (req, res) => {
    if (req.method !== 'GET' || req.url === undefined) return undefined;
    const route = routes.get(req.url);
    if (!route) return undefined;
    contextOf(res).operationId = route.operationId;
    return route.read(req, res);
  };
}
