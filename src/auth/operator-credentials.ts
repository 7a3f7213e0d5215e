// What a write (or a backup read) must carry, from the configuration:
//   no --tls-client-ca-file           the bearer token (no token file: every write refused)
//   --tls-client-ca-file              a verified client certificate…
//     and --token-file                …and the bearer token
// The certificate is checked first: a caller without one learns nothing about the token.
import type { IncomingMessage } from 'node:http';
import { verifyClientCertificate, type ClientCertificatePolicy } from './client-certificate.js';
import type { TokenStore } from './token.js';

export interface CredentialRules {
  tokens: TokenStore;
  /** --token-file was given. Without client certificates the token is needed regardless (fail closed). */
  tokenConfigured: boolean;
  /** --tls-client-ca-file was given. */
  clientCertificates: ClientCertificatePolicy | undefined;
}

/** Throws 401/403 problems; returns how the client is named in the request log, if by a certificate. */
export type Authenticate = (req: IncomingMessage) => string | undefined;

export function operatorCredentials({ tokens, tokenConfigured, clientCertificates }: CredentialRules): Authenticate {
  if (clientCertificates === undefined) {
    return (req) => {
      tokens.verify(req.headers.authorization);
      return undefined;
    };
  }
  return (req) => {
    const client = verifyClientCertificate(req.socket, clientCertificates);
    if (tokenConfigured) tokens.verify(req.headers.authorization);
    return client;
  };
}
