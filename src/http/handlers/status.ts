// GET /v1/status: the operator's status loop.
import type { Instance } from '../../domain/instance.js';
import type { PlainRead } from '../openapi.js';
import { reply } from '../reply.js';

export function statusReads(instance: Instance): Record<'getStatus', PlainRead> {
  return {
    async getStatus(_req, res) {
      reply(res, 'getStatus', 200, await instance.status());
    },
  };
}
