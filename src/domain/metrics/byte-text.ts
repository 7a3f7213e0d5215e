// The exposition is written as UTF-8 bytes straight into one buffer, kept across scrapes,
// rather than built as strings and joined and encoded: a scrape renders ~800 lines, and
// their strings (the line, its parts, the array of lines, the joined text) were about 150 KB
// of garbage per scrape for a 45 KB answer, and the young-generation collections of it a
// sixth of a scrape's CPU. What does not change between scrapes (HELP/TYPE lines, the start
// of a line: `name{labels} `) is encoded once and copied in (label-sets.ts, exposition.ts);
// integers are written digit by digit; only other numbers become strings first.
import { Buffer } from 'node:buffer';

/** Below this an integer is a small integer (31 bits) to V8. */
const SMALL = 2 ** 31;
const BILLION = 1e9;

/** Bytes of text, written in order. Reused: `take()` copies them out and empties it. */
export class ByteText {
  private buf: Buffer;
  private at = 0;

  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  bytes(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** Its UTF-8 bytes (at most 3 per UTF-16 unit). One call, faster than a loop even for short strings. */
  string(text: string): void {
    this.room(text.length * 3);
    this.at += this.buf.write(text, this.at, 'utf8');
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.at++] = c;
  }

  /**
   * The number as `String(value)` writes it. Safe integers digit by digit; anything else
   * (fractions, beyond 2^53) through String. Above 2^31 a number is a double, on which V8's `%`
   * is a call into C: it is split into two parts that are small integers first.
   */
  integerOr(value: number, text: (value: number) => string): void {
    if (!Number.isSafeInteger(value)) {
      this.string(text(value));
      return;
    }
    this.room(17);
    let n = value;
    if (n < 0) {
      this.buf[this.at++] = 45; // -
      n = -n;
    }
    if (n < SMALL) {
      this.small(n);
      return;
    }
    // n = high × 10^9 + low: high < 2^53 / 10^9 < 2^24, and low is written as 9 digits.
    let high = Math.floor(n / BILLION);
    let low = n - high * BILLION;
    // The quotient of two doubles is rounded: one too many or too few at most.
    if (low < 0) {
      high--;
      low += BILLION;
    } else if (low >= BILLION) {
      high++;
      low -= BILLION;
    }
    this.small(high);
    const buf = this.buf;
    let at = (this.at += 9);
    for (let i = 0; i < 9; i++) {
      const rest = (low / 10) | 0;
      buf[--at] = 48 + low - rest * 10;
      low = rest;
    }
  }

  /** A non-negative integer below 2^31: integer arithmetic, its digits counted first, then written from the right. */
  private small(value: number): void {
    let digits = 1;
    for (let power = 10; power <= value; power *= 10) digits++;
    const buf = this.buf;
    let at = (this.at += digits);
    let n = value | 0;
    do {
      const rest = (n / 10) | 0;
      buf[--at] = 48 + n - rest * 10;
      n = rest;
    } while (n > 0);
  }

  /** Empty: what an earlier use left (one that threw before its take) is dropped. */
  clear(): this {
    this.at = 0;
    return this;
  }

  /** A copy of the bytes written since the last take; the builder is then empty. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.at);
    this.buf.copy(out, 0, 0, this.at);
    this.at = 0;
    return out;
  }
}
