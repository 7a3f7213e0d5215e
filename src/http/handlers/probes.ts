// GET /healthz and GET /readyz: the kubelet's probes.
import type { Instance } from '../../domain/instance.js';
import type { PlainRead } from '../openapi.js';
import { reply } from '../reply.js';

export function probeReads(instance: Instance): Record<'getHealthz' | 'getReadyz', PlainRead> {
  return {
    async getHealthz(_req, res) {
      const liveness = await instance.liveness();
      reply(res, 'getHealthz', liveness.alive ? 200 : 503, liveness);
    },
    async getReadyz(_req, res) {
      const readiness = await instance.readiness();
      reply(res, 'getReadyz', readiness.ready ? 200 : 503, readiness);
    },
  };
}
