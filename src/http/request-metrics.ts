// Observes every request's duration into the manager's HTTP histogram, labelled with the
// contract's route template (`/v1/backups/{id}`), never the raw path: unknown paths share
// one label value, so a scanner cannot grow the series count.
import { contractOperations } from '../contract.js';
import type { ProcessMetrics } from '../domain/metrics/process-metrics.js';
import type { RequestObserver } from './request-context.js';

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD']);

export function requestMetrics(metrics: ProcessMetrics): RequestObserver {
  const routes = new Map(contractOperations.map((op) => [op.operationId, op.path]));
  return ({ operationId }, method, status, seconds) => {
    const route = (operationId === undefined ? undefined : routes.get(operationId)) ?? 'unmatched';
    metrics.observeRequest(route, METHODS.has(method) ? method : 'OTHER', status, seconds);
  };
}
