// PUT /v1/update: install a new build, answer 202, then exec it once the answer is out.
import type { Instance } from '../../domain/instance.js';
import { reply } from '../reply.js';
import { allowReadAway, declaredLength } from '../unread-body.js';
import type { OperationHandler } from '../openapi.js';

export function updateHandlers(instance: Instance): Record<'update', OperationHandler> {
  return {
    async update(_c, req, res) {
      let accepted;
      try {
        accepted = await instance.upgrader.install({
          body: req,
          contentDigest: req.get('content-digest'),
          declaredLength: declaredLength(req),
          signature: req.get('bundle-signature'),
        });
      } catch (err) {
        // A refused upload of sane declared size (a 413 decided from Content-Length, a bad
        // or missing Content-Digest or signature, a conflict) is read away after the answer,
        // so a client still sending sees the answer instead of a reset connection; one
        // refused part-way through is not read further (unread-body.ts closes it).
        allowReadAway(res, 4 * instance.config.updateMaxBytes);
        throw err;
      }
      // 'close' fires even when the client goes away before the 202 is out: the new build
      // is installed by now, so the exec must happen either way.
      res.once('close', () => void instance.upgrader.exec());
      res.set('Connection', 'close');
      reply(res, 'update', 202, accepted);
    },
  };
}
