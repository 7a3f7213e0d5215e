// redis-instance-manager-client: the typed client the operator uses to call a manager.
// This file only re-exports; see README.md for examples.
export { createClient, type ClientOptions, type InstanceManagerClient } from './create.js';
export type { TlsOptions } from './tls-fetch.js';
export { ProblemError, TimeoutError, type CallOptions, type Problem } from './runtime.js';
export { renewLease } from './lease.js';
export {
  contentDigest,
  update,
  UpdateRolledBackError,
  UpdateTimeoutError,
  type UpdateOptions,
  type UpdateOutcome,
} from './update.js';
export type { components, paths } from './schema.js';
export type * from './operations.js';
export { eachBackup, StorageNotListedError, type Backup, type EachBackupOptions } from './backups.js';
export type Schemas = import('./schema.js').components['schemas'];
export {
  switchover,
  SwitchoverError,
  type SwitchoverNode,
  type SwitchoverOptions,
  type SwitchoverReport,
  type SwitchoverStep,
  type SwitchoverStepName,
} from './switchover.js';
