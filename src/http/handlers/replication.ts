// POST /v1/promote, POST /v1/demote, POST /v1/fence, DELETE /v1/fence: role changes.
import type { Response } from 'express';
import type { Instance } from '../../domain/instance.js';
import type { DemoteRequest, FenceRequest, PromoteRequest } from '../../domain/replication/replication.js';
import { reply } from '../reply.js';
import type { OperationHandler } from '../openapi.js';

/** Aborts when the connection closes before the answer is out: the caller is gone. */
function callerGone(res: Response): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

export function replicationHandlers(
  instance: Instance,
): Record<'promote' | 'demote' | 'fence' | 'unfence', OperationHandler> {
  return {
    async promote(c, _req, res) {
      reply(
        res,
        'promote',
        200,
        await instance.replication.promote((c.request.body ?? {}) as PromoteRequest, callerGone(res)),
      );
    },
    async demote(c, _req, res) {
      reply(res, 'demote', 200, await instance.replication.demote(c.request.body as DemoteRequest));
    },
    async fence(c, _req, res) {
      reply(res, 'fence', 200, await instance.replication.fence(c.request.body as FenceRequest));
    },
    async unfence(_c, _req, res) {
      reply(res, 'unfence', 200, await instance.replication.unfence());
    },
  };
}
