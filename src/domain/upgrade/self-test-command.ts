// `instance-manager self-test <run flags…>`: what a running manager asks of a new build
// before it tries it (see self-test.ts). Everything `run` needs except the outside world:
// the configuration is parsed from the same flags and environment (and the files it names
// that change how the manager starts, like the update key, are read), every module the
// bundle loads lazily is loaded, and the contract's validators are compiled. No port is
// bound and Redis is not touched. Prints the version on success.
//
// Every module that src/ imports dynamically must be listed here, or a build whose lazily
// loaded part is broken would pass.
import { buildConfig, parseArgs } from '../../config/config.js';
import { MANAGER_VERSION } from '../../version.js';
import { loadUpdateKey } from './bundle-signature.js';

export async function selfTestCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const config = buildConfig(parseArgs(args, env));
  if (config.updatePublicKeyFile !== undefined) await loadUpdateKey(config.updatePublicKeyFile);
  const [openapi] = await Promise.all([
    import('../../http/openapi.js'),
    import('../../http/early-server.js'),
    import('../../log.js'),
    import('../../server.js'),
    import('./launch.js'),
    import('../backup/restore-cli.js'),
    import('../backup/storage.js').then((storage) => storage.loadSdk()),
  ]);
  await openapi.createBackend({}).init();
  process.stdout.write(`${MANAGER_VERSION}\n`);
  return 0;
}
