// A node that must not take writes but has no primary to follow yet (a fresh replica, or a
// primary whose redis-server came back and must not serve until it is known to hold data).
//
// Redis has no "read-only primary" setting: a primary always takes writes, and
// min-replicas-to-write only refuses them until some replica connects (any replica, even an
// empty one pointed at it by mistake, would make it writable and let it be synced from).
// Instead the node is started as `replicaof 127.0.0.1 0`: port 0 can never be listened on,
// so the connect fails at once (ECONNREFUSED) and keeps failing. Redis itself then
//   - refuses writes (READONLY: replica-read-only is on),
//   - refuses to be synced from (a replica whose link is down answers SYNC with
//     NOMASTERLINK), so it can never hand an empty dataset to other replicas,
//   - keeps its dataset untouched (nothing ever arrives),
// and `REPLICAOF NO ONE` (promote) turns it into a primary with that dataset, exactly as
// from any replica. Status reports it as a replica with no primary; readiness as not ready.
import type { PrimaryAddress } from '../state/state-file.js';

export const PLACEHOLDER_PRIMARY: Readonly<PrimaryAddress> = Object.freeze({ host: '127.0.0.1', port: 0 });

export function isPlaceholder(host: string | undefined, port: number | string | undefined): boolean {
  return host === PLACEHOLDER_PRIMARY.host && Number(port) === PLACEHOLDER_PRIMARY.port;
}
