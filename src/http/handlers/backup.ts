// POST /v1/backup, GET /v1/backups, GET /v1/backups/{id}: start a backup and follow it.
import type { Instance } from '../../domain/instance.js';
import type { BackupRequest } from '../../domain/backup/backups.js';
import { NotFoundError } from '../../errors.js';
import { reply } from '../reply.js';
import type { OperationHandler } from '../openapi.js';

type BackupOperation = 'startBackup' | 'listBackups' | 'getBackup';

export function backupHandlers(instance: Instance): Record<BackupOperation, OperationHandler> {
  return {
    async startBackup(c, _req, res) {
      const request = (c.request.requestBody ?? {}) as BackupRequest;
      if (request.type === 'aof') await instance.requireRedis('aofBackup');
      const backup = instance.backups.start(request);
      res.location(`/v1/backups/${backup.id}`);
      reply(res, 'startBackup', 202, backup);
    },
    async listBackups(_c, _req, res) {
      reply(res, 'listBackups', 200, { items: instance.backups.list() });
    },
    async getBackup(c, _req, res) {
      const { id } = c.request.params as { id: string };
      const backup = instance.backups.get(id);
      if (!backup)
        throw new NotFoundError(`no backup ${id} (this manager keeps its last 100 backups since it started)`);
      reply(res, 'getBackup', 200, backup);
    },
  };
}
