// Which TCP sockets are listening, and on what, read from /proc: how tests check that the
// manager's listener survived an upgrade (same socket inode, same address), and which
// process holds it.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ListeningSocket {
  inode: number;
  address: string;
  port: number;
}

/**
 * The address in /proc/net/tcp{,6} notation: IPv4 as 8 hex digits of a little-endian word,
 * IPv6 as four such words. Returns the usual text form ("127.0.0.1", "::1", "::").
 */
export function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) =>
    [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)),
  );
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16 || bytes.some(Number.isNaN)) return hex;
  // IPv4-mapped (::ffff:a.b.c.d) reads better as the IPv4 address it is.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  // The longest run of zero groups (two or more) becomes "::".
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** The listening sockets in /proc/net/tcp (or tcp6) text. */
export function parseProcNetTcp(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (fields.length < 10 || fields[3] !== '0A') continue;
    const [address, port] = fields[1].split(':');
    sockets.push({ inode: Number(fields[9]), address: procAddress(address), port: parseInt(port, 16) });
  }
  return sockets;
}

/** Every listening TCP socket of this network namespace. */
export function listeningSockets(): ListeningSocket[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => {
    try {
      return parseProcNetTcp(readFileSync(file, 'utf8'));
    } catch {
      return [];
    }
  });
}

/** The socket inode behind a file descriptor of a process, or null when it is not a socket. */
export function socketInode(fd: number, pid: number | 'self' = 'self'): number | null {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The listening TCP socket on this port, or undefined. */
export function listenerOn(port: number): ListeningSocket | undefined {
  return listeningSockets().find((s) => s.port === port);
}

/** The file descriptors of `pid` that hold the socket `inode`. */
export function fdsHolding(pid: number, inode: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/fd`)
      .map(Number)
      .filter((fd) => socketInode(fd, pid) === inode);
  } catch {
    return [];
  }
}
