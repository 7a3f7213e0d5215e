// Client certificates for writes (--tls-client-ca-file). Every handshake asks for a
// certificate and OpenSSL verifies it against the CA bundle, but the connection is never
// refused for it: probes, /metrics and /v1/status come without one. This check runs for the
// operations that need the operator's credentials, before their body is read: no certificate
// is 401, one that did not verify (unknown issuer, expired, not for client authentication) or
// that does not carry --tls-client-name is 403.
import type { Socket } from 'node:net';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import { ClientCertificateRequiredError, ForbiddenError } from '../errors.js';

export interface ClientCertificatePolicy {
  /** The certificate's subject CN or one of its SANs must be exactly this. */
  name: string | undefined;
}

/**
 * Splits Node's `subjectaltname` ("DNS:a, URI:spiffe://x, IP Address:10.0.0.1") into its
 * values without the type prefix. Node quotes a value that holds a comma or a quote as a
 * JSON string (`DNS:"a, b"`), so the split respects JSON strings.
 */
export function subjectAltNames(subjectaltname: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  let rest = (subjectaltname ?? '').trim();
  while (rest !== '') {
    const colon = rest.indexOf(':');
    if (colon < 0) break;
    const type = rest.slice(0, colon).trim();
    rest = rest.slice(colon + 1);
    let value: string;
    const quoted = /^"(?:[^"\\]|\\.)*"/.exec(rest);
    if (quoted) {
      value = JSON.parse(quoted[0]) as string;
      rest = rest.slice(quoted[0].length);
    } else {
      const end = rest.indexOf(', ');
      value = end < 0 ? rest : rest.slice(0, end);
      rest = end < 0 ? '' : rest.slice(end);
    }
    out.push({ type, value });
    rest = rest.replace(/^,\s*/, '');
  }
  return out;
}

function commonNames(cert: Pick<PeerCertificate, 'subject'>): string[] {
  const cn = cert.subject?.CN;
  return cn === undefined ? [] : Array.isArray(cn) ? cn : [cn];
}

/** Whether the certificate carries `name` as its subject CN or as a SAN (DNS names case-insensitively). */
export function carriesName(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'>, name: string): boolean {
  return (
    commonNames(cert).includes(name) ||
    subjectAltNames(cert.subjectaltname).some((san) =>
      san.type === 'DNS' ? san.value.toLowerCase() === name.toLowerCase() : san.value === name,
    )
  );
}

function verificationError(socket: TLSSocket): string {
  const error = socket.authorizationError as unknown;
  if (typeof error === 'string') return error;
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return 'not verified';
}

/**
 * Throws 401 without a client certificate and 403 for one that does not verify or lacks the
 * required name. Returns how the client is named in the request log: subject and fingerprint.
 */
export function verifyClientCertificate(socket: Socket, policy: ClientCertificatePolicy): string {
  const peer = socket instanceof TLSSocket ? socket.getPeerCertificate() : undefined;
  if (!peer || Object.keys(peer).length === 0) {
    throw new ClientCertificateRequiredError(
      'this operation needs a client certificate issued by the CA of --tls-client-ca-file, and the connection presented none',
    );
  }
  const tlsSocket = socket as TLSSocket;
  if (!tlsSocket.authorized) {
    throw new ForbiddenError(
      `the client certificate does not verify against --tls-client-ca-file (${verificationError(tlsSocket)})`,
    );
  }
  if (policy.name !== undefined && !carriesName(peer, policy.name)) {
    throw new ForbiddenError(
      'the client certificate verifies but does not carry the name this manager accepts (--tls-client-name) as its subject CN or a SAN',
    );
  }
  return `CN=${commonNames(peer).join('+')} sha256=${peer.fingerprint256}`;
}
