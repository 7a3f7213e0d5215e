// Root hooks: whatever a test started is stopped, whatever it made is removed, and every
// response a manager gave in the run must be one the contract declares.
import { stopAllManagers } from '../helpers/manager.js';
import { closeRedisResources } from '../helpers/redis.js';
import { removeTempDirs } from '../helpers/tmp.js';
import { assertEveryStatusDeclared, setCurrentTest, startRecording } from './contract-recorder.js';

export const mochaHooks = {
  beforeAll() {
    startRecording();
  },
  beforeEach(this: Mocha.Context) {
    setCurrentTest(this.currentTest?.fullTitle() ?? '(unknown test)');
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    setCurrentTest('(root after-all hook)');
    await stopAllManagers();
    await closeRedisResources();
    await removeTempDirs();
    assertEveryStatusDeclared();
  },
};
