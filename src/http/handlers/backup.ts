// POST /v1/backup, GET /v1/backups, GET and DELETE /v1/backups/{id}: start a backup, follow
// it, list the catalogue, delete one.
import type { Instance } from '../../domain/instance.js';
import type { BackupRequest } from '../../domain/backup/backups.js';
import { reply } from '../reply.js';
import type { OperationHandler } from '../openapi.js';

type BackupOperation = 'startBackup' | 'listBackups' | 'getBackup' | 'deleteBackup';

/** Query values arrive as text; the contract has already validated them. */
interface Query {
  limit?: string;
  after?: string;
  force?: string;
}

export function backupHandlers(instance: Instance): Record<BackupOperation, OperationHandler> {
  return {
    async startBackup(c, _req, res) {
      const request = (c.request.requestBody ?? {}) as BackupRequest;
      if (request.type === 'aof') await instance.requireRedis('aofBackup');
      const backup = instance.backups.start(request);
      res.location(`/v1/backups/${backup.id}`);
      reply(res, 'startBackup', 202, backup);
    },
    async listBackups(c, _req, res) {
      const { limit, after } = c.request.query as Query;
      reply(res, 'listBackups', 200, await instance.backups.list(limit === undefined ? 100 : Number(limit), after));
    },
    async getBackup(c, _req, res) {
      const { id } = c.request.params as { id: string };
      reply(res, 'getBackup', 200, await instance.backups.get(id));
    },
    async deleteBackup(c, _req, res) {
      const { id } = c.request.params as { id: string };
      const { force } = c.request.query as Query;
      reply(res, 'deleteBackup', 200, await instance.backups.remove(id, force === 'true'));
    },
  };
}
