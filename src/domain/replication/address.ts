// Validation of the primary a node is told to replicate from. Pure.
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

/** Names that always mean "this machine". */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', 'ip6-localhost']);

/**
 * Does host:port name this instance's own Redis? True for loopback and unspecified
 * addresses, and for any of `ownNames` (the hostname, the pod IPs), on our Redis port.
 */
export function isSelf(host: string, port: number, ownPort: number, ownNames: readonly string[]): boolean {
  if (port !== ownPort) return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (LOOPBACK_NAMES.has(h)) return true;
  if (isIP(h) === 4 && (h.startsWith('127.') || h === '0.0.0.0')) return true;
  if (h === '::1' || h === '::' || h === '::ffff:127.0.0.1') return true;
  return ownNames.some((name) => name.toLowerCase() === h);
}
