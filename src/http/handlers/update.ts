// PUT /v1/update: install a new build, answer 202, then exec it once the answer is out.
import type { Instance } from '../../domain/instance.js';
import { PayloadTooLargeError } from '../../errors.js';
import { reply } from '../reply.js';
import { allowReadAway, declaredLength } from '../unread-body.js';
import type { OperationHandler } from '../openapi.js';

export function updateHandlers(instance: Instance): Record<'update', OperationHandler> {
  return {
    async update(_c, req, res) {
      let accepted;
      try {
        accepted = await instance.updater.install({
          body: req,
          contentDigest: req.get('content-digest'),
          declaredLength: declaredLength(req),
          signature: req.get('bundle-signature'),
        });
      } catch (err) {
        // A refused upload is not read to its end (unread-body.ts closes the connection),
        // except a 413 decided from Content-Length alone for a body of sane size: that is
        // read away after the answer, so the client finishes sending and sees the 413
        // instead of a reset connection.
        if (err instanceof PayloadTooLargeError) allowReadAway(res, 4 * instance.config.updateMaxBytes);
        throw err;
      }
      // 'close' fires even when the client goes away before the 202 is out: the new build
      // is installed by now, so the exec must happen either way.
      res.once('close', () => void instance.updater.handOver());
      res.set('Connection', 'close');
      reply(res, 'update', 202, accepted);
    },
  };
}
