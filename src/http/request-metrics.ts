// Observes every request's duration into the manager's HTTP histogram, labelled with the
// contract's route template (`/v1/backups/{id}`), never the raw path: unknown paths share
// one label value, so a scanner cannot grow the series count.
import { contract } from '../contract.js';
import type { ProcessMetrics } from '../domain/metrics/process-metrics.js';
import type { RequestObserver } from './request-context.js';

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD']);

/** operationId → path template, from the contract. */
function routesByOperation(): Map<string, string> {
  const routes = new Map<string, string>();
  for (const [path, item] of Object.entries(contract.paths as Record<string, Record<string, { operationId?: string }>>)) {
    for (const operation of Object.values(item)) if (operation.operationId) routes.set(operation.operationId, path);
  }
  return routes;
}

export function requestMetrics(metrics: ProcessMetrics): RequestObserver {
  const routes = routesByOperation();
  return ({ operationId }, method, status, seconds) => {
    const route = (operationId === undefined ? undefined : routes.get(operationId)) ?? 'unmatched';
    metrics.observeRequest(route, METHODS.has(method) ? method : 'OTHER', status, seconds);
  };
}
