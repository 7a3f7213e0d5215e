// GET /healthz and GET /readyz: the kubelet's probes.
import type { Instance } from '../../domain/instance.js';
import { reply } from '../reply.js';
import type { OperationHandler } from '../openapi.js';

export function probeHandlers(instance: Instance): Record<'getHealthz' | 'getReadyz', OperationHandler> {
  return {
    async getHealthz(_c, _req, res) {
      const liveness = await instance.liveness();
      reply(res, 'getHealthz', liveness.alive ? 200 : 503, liveness);
    },
    async getReadyz(_c, _req, res) {
      const readiness = await instance.readiness();
      reply(res, 'getReadyz', readiness.ready ? 200 : 503, readiness);
    },
  };
}
