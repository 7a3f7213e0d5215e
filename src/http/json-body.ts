// Reads a JSON request body within a size limit. Reading stops at the first byte past the
// limit and the 413 goes out at once (body-parser would read the whole body away before
// answering); the rest of the body is never read (unread-body.ts closes the connection).
// JSON between systems is UTF-8 (RFC 8259): other charsets are 415, invalid UTF-8 is 400.
import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

export function tooLarge(limitBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the body is larger than the limit of ${limitBytes} bytes`);
}

/** Throws 415 unless the Content-Type's charset (if any) is UTF-8. */
export function assertUtf8(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError(`JSON bodies are UTF-8; charset ${charset} is not supported`);
  }
}

/** The parsed body ({} for an empty one); 413 past the limit, 400 when cut short or not JSON. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    // destroyOnReturn: false keeps the socket when reading stops early, so the 413 can be sent.
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limitBytes) {
        req.pause();
        throw tooLarge(limitBytes);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw err;
    throw new ValidationError('the body was cut short or does not match Content-Length');
  }
  if (!req.complete) throw new ValidationError('the body was cut short or does not match Content-Length');
  if (bytes === 0) return {};
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, bytes));
  } catch {
    throw new ValidationError('the body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('the body is not valid JSON');
  }
}
