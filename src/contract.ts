// The contract as the server sees it: the document (embedded in the bundle) and the types
// generated from it. Both come from openapi.yaml through `make generate`.
import document from '../generated/openapi.json' with { type: 'json' };
import type { components } from '../generated/client/src/schema.js';

export type Schemas = components['schemas'];
export type Status = Schemas['Status'];
export type Problem = Schemas['Problem'];

export const contract = document;

/** One operation of the contract, as the server's routing tables need it. */
export interface ContractOperation {
  path: string;
  method: string;
  operationId: string;
  /** No parameters and no body: nothing to parse or validate. */
  plain: boolean;
  /** Needs no credentials (`security: []`): probes, metrics, status. */
  anonymous: boolean;
  /** The query parameters it declares; reads ignore any other (src/http/openapi.ts). */
  query: readonly string[];
}

interface RawParameter {
  $ref?: string;
  name?: string;
  in?: string;
}

interface RawOperation {
  operationId: string;
  parameters?: RawParameter[];
  requestBody?: unknown;
  security?: unknown[];
}

/** A parameter, or the one its `$ref` names (#/components/parameters/X). */
function resolveParameter(parameter: RawParameter): RawParameter {
  if (parameter.$ref === undefined) return parameter;
  const name = parameter.$ref.split('/').pop()!;
  const shared = (contract.components as { parameters?: Record<string, RawParameter> }).parameters;
  return shared?.[name] ?? parameter;
}

/** Every operation in the contract, read once. */
export const contractOperations: readonly ContractOperation[] = Object.entries(
  contract.paths as Record<string, Record<string, RawOperation>>,
).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({
    path,
    method: method.toUpperCase(),
    operationId: op.operationId,
    plain: !op.requestBody && (op.parameters ?? []).length === 0,
    anonymous: op.security?.length === 0,
    query: (op.parameters ?? [])
      .map(resolveParameter)
      .filter((p) => p.in === 'query')
      .map((p) => p.name!),
  })),
);
