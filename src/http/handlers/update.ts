// PUT /v1/update: install a new build, answer 202, then exec it once the answer is out.
import type { Instance } from '../../domain/instance.js';
import { reply } from '../reply.js';
import { declaredLength } from '../unread-body.js';
import type { OperationHandler } from '../openapi.js';

export function updateHandlers(instance: Instance): Record<'update', OperationHandler> {
  return {
    async update(_c, req, res) {
      // A refusal is read away or closed as the body gate arranged (body-gate.ts).
      const accepted = await instance.upgrader.install({
        body: req,
        contentDigest: req.get('content-digest'),
        declaredLength: declaredLength(req),
        signature: req.get('bundle-signature'),
      });
      // 'close' fires even when the client goes away before the 202 is out: the new build
      // is installed by now, so the exec must happen either way.
      res.once('close', () => void instance.upgrader.exec());
      res.set('Connection', 'close');
      reply(res, 'update', 202, accepted);
    },
  };
}
