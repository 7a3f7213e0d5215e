// Root hooks: whatever a test started is stopped, whatever it made is removed.
import { stopAllManagers } from '../helpers/manager.js';
import { closeRedisResources } from '../helpers/redis.js';
import { removeTempDirs } from '../helpers/tmp.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopAllManagers();
    await closeRedisResources();
    await removeTempDirs();
  },
};
