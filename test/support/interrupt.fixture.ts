// Not a test of its own (the suite's glob is *.test.ts): the run that interrupted-run.test.ts
// starts and then interrupts. It starts a manager in-process and one as its own process,
// says where their data is, and waits to be interrupted.
import { writeFileDurably } from '../../src/domain/durable-file.js';
import { spawnManager, startTestManager, testPaths } from '../helpers/manager.js';
import { sleep } from '../helpers/wait.js';

describe('a run that is interrupted', function () {
  this.timeout(120_000);
  it('starts managers and waits', async () => {
    const inProcess = await startTestManager();
    const paths = await testPaths();
    await spawnManager({ dataDir: paths.dataDir, redisPort: paths.redisPort, tokenFile: paths.tokenFile });
    // Published whole (written aside, renamed into place): the test polls for the file and
    // reads it at once, and a file written in place can be seen while still empty.
    await writeFileDurably(process.env.IM_TEST_REPORT!, JSON.stringify([inProcess.dataDir, paths.dataDir]));
    await sleep(110_000);
  });
});
