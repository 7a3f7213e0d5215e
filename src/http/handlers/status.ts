// GET /v1/status: the operator's status loop.
import type { Instance } from '../../domain/instance.js';
import { reply } from '../reply.js';
import type { OperationHandler } from '../openapi.js';

export function statusHandlers(instance: Instance): Record<'getStatus', OperationHandler> {
  return {
    async getStatus(_c, _req, res) {
      reply(res, 'getStatus', 200, await instance.status());
    },
  };
}
