// Root hooks: whatever a test started is stopped, whatever it made is removed, every
// response a manager gave in the run must be one the contract declares, and no promise
// rejection may have gone unhandled. An interrupted run (Ctrl-C, or SIGTERM to `make test`)
// stops what it started too, before it exits.
import { stopAllManagers } from '../helpers/manager.js';
import { closeRedisResources } from '../helpers/redis.js';
import { killProcessesIn } from '../helpers/sweep.js';
import { removeTempDirs, tempDirs } from '../helpers/tmp.js';
import { assertEveryStatusDeclared, startRecording } from './contract-recorder.js';
import { setCurrentTest } from './current-test.js';
import { assertNoUnhandledRejections, startCatchingRejections } from './unhandled-rejections.js';

/** Stops politely what can be stopped, kills what is left, removes the directories. */
async function cleanUp(): Promise<void> {
  await stopAllManagers();
  await closeRedisResources();
  killProcessesIn(tempDirs());
  await removeTempDirs();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the managers and redis-servers this run started\n`);
    // Bounded: a cleanup that hangs must not keep an interrupted run alive.
    const deadline = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
    void Promise.race([cleanUp().catch(() => undefined), deadline]).then(() => {
      killProcessesIn(tempDirs());
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  });
}

export const mochaHooks = {
  beforeAll() {
    startRecording();
    startCatchingRejections();
  },
  beforeEach(this: Mocha.Context) {
    setCurrentTest(this.currentTest?.fullTitle() ?? '(unknown test)');
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    setCurrentTest('(root after-all hook)');
    await cleanUp();
    assertNoUnhandledRejections();
    assertEveryStatusDeclared();
  },
};
