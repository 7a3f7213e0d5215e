// Validation of the primary a node is told to replicate from. Pure. (Whether it names this
// node itself is decided on what it resolves to: self-check.ts.)
import { isIP } from 'node:net';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A hostname (RFC 1123 labels, at most 253 characters) or an IPv4/IPv6 address. */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  // An all-numeric last label would be a malformed IPv4 address such as 10.0.0.256.
  if (/^\d+$/.test(labels[labels.length - 1])) return false;
  return labels.every((label) => LABEL.test(label));
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
