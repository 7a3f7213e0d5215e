// A minimal POSIX (ustar) tar writer and reader: enough for an AOF backup, which is one
// directory of regular files. Written here rather than taken from npm because the writer must
// stream from file descriptors opened in advance, with sizes fixed when they were opened (an
// AOF incr file keeps growing while it is read), and the reader must refuse anything but
// plain files in that one directory.
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';

export const BLOCK = 512;
/** Largest size the 11-digit octal field holds; above it the GNU base-256 form is used. */
const OCTAL_SIZE_LIMIT = 8 ** 11;

export interface TarEntry {
  name: string;
  size: number;
  mtime: Date;
  /** The bytes: a buffer, or the first `size` bytes of an open file. */
  source: Buffer | FileHandle;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The exact length of the archive, so the upload knows it before the first byte. */
export function tarSize(entries: readonly Pick<TarEntry, 'size'>[]): number {
  return entries.reduce((sum, e) => sum + BLOCK + e.size + padding(e.size), 0) + 2 * BLOCK;
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

function writeSize(header: Buffer, size: number): void {
  if (size < OCTAL_SIZE_LIMIT) return writeOctal(header, 124, 12, size);
  header[124] = 0x80;
  header.writeBigUInt64BE(BigInt(size), 128);
}

export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeSize(header, size);
  writeOctal(header, 136, 12, Math.floor(mtime.getTime() / 1000));
  header.write('        ', 148, 8, 'ascii');
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return header;
}

async function* tarChunks(entries: readonly TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield tarHeader(entry.name, entry.size, entry.mtime);
    if (Buffer.isBuffer(entry.source)) {
      yield entry.source.subarray(0, entry.size);
    } else if (entry.size > 0) {
      let read = 0;
      for await (const chunk of entry.source.createReadStream({ start: 0, end: entry.size - 1, autoClose: false })) {
        read += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (read !== entry.size)
        throw new Error(`${entry.name} shrank while it was archived (${read} of ${entry.size} bytes)`);
    }
    const pad = padding(entry.size);
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** The archive as a stream, read from the entries' sources as it is consumed. */
export function tarStream(entries: readonly TarEntry[]): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}

export interface TarMember {
  name: string;
  size: number;
  /** Where the member's bytes start in the archive. */
  offset: number;
}

function readOctal(header: Buffer, offset: number, length: number): number {
  const text = header
    .toString('ascii', offset, offset + length)
    .replace(/[\0 ]+$/g, '')
    .trim();
  if (!/^[0-7]*$/.test(text)) throw new Error('corrupt tar header (bad number)');
  return text === '' ? 0 : parseInt(text, 8);
}

function readSize(header: Buffer): number {
  if ((header[124] & 0x80) !== 0) return Number(header.readBigUInt64BE(128));
  return readOctal(header, 124, 12);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
  return sum === readOctal(header, 148, 8);
}

/** Lists the members of an archive on disk; only regular files are accepted. */
export async function listTar(file: FileHandle, archiveSize: number): Promise<TarMember[]> {
  const members: TarMember[] = [];
  const header = Buffer.alloc(BLOCK);
  let offset = 0;
  while (offset + BLOCK <= archiveSize) {
    const { bytesRead } = await file.read(header, 0, BLOCK, offset);
    if (bytesRead !== BLOCK) throw new Error('the archive is cut short');
    if (header.every((b) => b === 0)) return members;
    if (!checksumOk(header)) throw new Error(`corrupt tar header at byte ${offset}`);
    const type = String.fromCharCode(header[156]);
    const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    if (type !== '0' && type !== '\0') throw new Error(`the archive holds ${name}, which is not a regular file`);
    const size = readSize(header);
    members.push({ name, size, offset: offset + BLOCK });
    offset += BLOCK + size + padding(size);
  }
  throw new Error('the archive has no end marker');
}
