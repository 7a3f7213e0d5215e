// Signed upgrades: with --update-public-key-file, PUT /v1/update must carry
// `Bundle-Signature: <base64>`, a signature of the body bytes by the matching private key, as
//   cosign sign-blob --key cosign.key instance-manager.mjs               (ECDSA P-256, DER)
//   openssl dgst -sha256 -sign ec.pem instance-manager.mjs | base64 -w0  (ECDSA P-256, DER)
//   openssl pkeyutl -sign -inkey ed.pem -rawin -in instance-manager.mjs | base64 -w0  (Ed25519)
// print it. Content-Digest proves the bytes arrived intact; the signature proves who built them.
//
// ECDSA-SHA256 is verified while the body streams (the hash is updated chunk by chunk).
// Ed25519 signs the whole message (no pre-hash variant that these tools produce), and Node
// verifies it in one call: the staged file is read back once it is complete. Either way the
// verdict comes before the self-test runs the file and before anything is installed.
import { createHash, createPublicKey, createVerify, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError, ValidationError } from '../../errors.js';

export interface UpdateKey {
  key: KeyObject;
  algorithm: 'ecdsa-p256-sha256' | 'ed25519';
  /** sha256 of the key's DER SubjectPublicKeyInfo, as `sha256:<hex>`. */
  fingerprint: string;
}

/** Reads the PEM public key, or ConfigError naming the file and what is wrong with it. */
export async function loadUpdateKey(file: string): Promise<UpdateKey> {
  const flag = '--update-public-key-file';
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ConfigError(`${flag}: ${file} is not a PEM public key`);
  }
  let algorithm: UpdateKey['algorithm'];
  if (key.asymmetricKeyType === 'ed25519') algorithm = 'ed25519';
  else if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    algorithm = 'ecdsa-p256-sha256';
  else {
    const what = [key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve].filter(Boolean).join(' ');
    throw new ConfigError(`${flag}: ${file} holds a ${what} key; only ECDSA P-256 and Ed25519 are accepted`);
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return { key, algorithm, fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}` };
}

/** The signature a request carries, or ValidationError (400) when it is missing or not base64. */
export function parseSignatureHeader(header: string | undefined): Buffer {
  const value = header?.trim() ?? '';
  if (value === '') {
    throw new ValidationError(
      'Bundle-Signature is required: this manager only installs builds signed by its --update-public-key-file; nothing installed',
    );
  }
  const canonical = value.replace(/=+$/, '');
  const bytes = Buffer.from(value, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || bytes.toString('base64').replace(/=+$/, '') !== canonical) {
    throw new ValidationError('Bundle-Signature must be the base64 of the signature bytes; nothing installed');
  }
  return bytes;
}

export interface SignatureCheck {
  /** Feeds a chunk of the body as it arrives. */
  update(chunk: Buffer): void;
  /** True when the signature is good for the whole body (staged in `file`). */
  verify(file: string): Promise<boolean>;
}

/** An ECDSA signature is DER (cosign, openssl dgst) or, 64 bytes, r‖s (IEEE P1363). */
function ecdsaEncoding(signature: Buffer): 'der' | 'ieee-p1363' {
  return signature.length === 64 && signature[0] !== 0x30 ? 'ieee-p1363' : 'der';
}

export function startSignatureCheck(updateKey: UpdateKey, signature: Buffer): SignatureCheck {
  if (updateKey.algorithm === 'ed25519') {
    return {
      update() {},
      async verify(file) {
        if (signature.length !== 64) return false;
        return verify(null, await readFile(file), updateKey.key, signature);
      },
    };
  }
  const verifier = createVerify('sha256');
  return {
    update(chunk) {
      verifier.update(chunk);
    },
    verify() {
      try {
        return Promise.resolve(
          verifier.verify({ key: updateKey.key, dsaEncoding: ecdsaEncoding(signature) }, signature),
        );
      } catch {
        // Not a well-formed ECDSA signature at all.
        return Promise.resolve(false);
      }
    },
  };
}
