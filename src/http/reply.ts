// Typed responses: the body a handler sends must be the one the contract declares for that
// operation and status, checked by the compiler against the generated types.
import type { Response } from 'express';
import type { operations } from '../../generated/client/src/schema.js';

export type OperationId = keyof operations;

type Responses<Op extends OperationId> = operations[Op]['responses'];

type JsonBody<Op extends OperationId, S extends keyof Responses<Op>> = Responses<Op>[S] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;

export function reply<Op extends OperationId, S extends keyof Responses<Op> & number>(
  res: Response,
  _operation: Op,
  status: S,
  body: JsonBody<Op, S>,
): void {
  res.status(status).json(body);
}
