// renewLease(): what an operator sends to its primary within every lease period when the
// managers run with --primary-lease-seconds. It is a promote of the current topology with
// the current epoch: on a writable primary it renews the lease (changed: false); on a primary
// held because its lease expired, or because it restarted, it confirms it and it takes
// writes again. A node that has seen a newer epoch, or is a replica at this epoch, answers
// 409 (ProblemError): it is not the primary of this epoch, and the operator must not treat it
// as one.
//
//   setInterval(() => renewLease(primary, epoch).catch(report), leaseSeconds * 1000 / 3);
import type { InstanceManagerClient } from './create.js';
import type { PromoteResult } from './operations.js';
import type { CallOptions } from './runtime.js';

export async function renewLease(
  client: InstanceManagerClient,
  epoch: number,
  options?: CallOptions,
): Promise<PromoteResult> {
  // force: false — a renewal never promotes an empty dataset; the wait does not apply.
  return client.promote({ body: { epoch, force: false, timeoutSeconds: 10 } }, options);
}
