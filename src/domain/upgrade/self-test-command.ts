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
  // The TLS pair as `run` will load it: files that went bad since the start refuse the build
  // here (422) instead of making it exit after the exec.
  const { TlsTransport } = await import('../../http/tls.js');
  if (config.tls) TlsTransport.load(config.tls);
  const [openapi, libraries] = await Promise.all([
    import('../../http/openapi.js'),
    import('../../vendor/http-api.js').then((vendor) => vendor.load()),
    import('../../http/api.js'),
    import('../../http/app.js'),
    import('../../heap.js'),
    import('../../http/early-server.js'),
    import('../../http/early-probes.js'),
    import('../../http/bridge-server.js'),
    import('./bridge.js'),
    import('../../log.js'),
    import('../../server.js'),
    import('./launch.js'),
    import('../backup/restore-cli.js'),
    import('../backup/storage.js').then((storage) => storage.loadSdk()),
    import('../../vendor/s3.js'),
  ]);
  await openapi.createBackend(libraries, {}).init();
  process.stdout.write(`${MANAGER_VERSION}\n`);
  return 0;
}
