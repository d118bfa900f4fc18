const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;

// What each byte means to the scan; a table lookup is faster than a chain of comparisons.
const OTHER = 0;
const STRING = 1;
const OPEN = 2;
const CLOSE = 3;
const KIND = new Uint8Array(256);
KIND[QUOTE] = STRING;
KIND[0x5b] = OPEN; // [
KIND[0x7b] = OPEN; // {
KIND[0x5d] = CLOSE; // ]
KIND[0x7d] = CLOSE; // }

/** Strings up to this many bytes are walked inline; longer ones are skipped with indexOf. */
const INLINE_STRING_BYTES = 32;

/**
 * The shortest JSON text nested deeper than `limit` (`[[…]]` with limit + 1 pairs): shorter
 * payloads need no scan.
 */
export function minJsonBytesDeeperThan(limit: number): number {
  return 2 * (limit + 1);
}

/**
 * True when the UTF-8 JSON text in `bytes` opens more than `limit` nested arrays/objects (an
 * empty one counts too).
 *
 * One pass counting `[`/`{` against `]`/`}` outside strings; not recursive, linear in the
 * length. Working on bytes is safe: in UTF-8 every byte of a multi-byte character is ≥ 0x80, so
 * it never looks like a quote, a backslash or a bracket. Invalid JSON may be miscounted, but
 * JSON.parse refuses it anyway.
 */
export function jsonNestingExceeds(bytes: Uint8Array, limit: number): boolean {
  const strings = new StringSkipper(bytes);
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const kind = KIND[bytes[i] as number];
    if (kind === OTHER) continue;
    if (kind === STRING) i = strings.closingQuote(i + 1);
    else if (kind === OPEN) {
      if (++depth > limit) return true;
    } else depth--;
  }
  return false;
}

/**
 * Finds where strings end. Short ones (most keys and values) are walked byte by byte; long ones
 * (text, base64) are crossed with the native indexOf, which is many times faster per byte, and
 * their escapes are only walked when a backslash lies before the candidate quote. The next
 * backslash's position is remembered, so no byte is searched twice and the skip stays linear.
 */
class StringSkipper {
  /** Position of the next backslash at or after the last search, `length` when there is none. */
  private nextBackslash = -1;

  constructor(private readonly bytes: Uint8Array) {}

  /** Position of the quote closing the string whose content starts at `start` (`length` if none). */
  closingQuote(start: number): number {
    const bytes = this.bytes;
    const end = bytes.length;
    let i = start;
    const inlineEnd = Math.min(end, start + INLINE_STRING_BYTES);
    for (; i < inlineEnd; i++) {
      const byte = bytes[i];
      if (byte === QUOTE) return i;
      if (byte === BACKSLASH) i++; // the escaped byte may be a quote
    }
    while (i < end) {
      const quote = bytes.indexOf(QUOTE, i);
      if (quote === -1) return end;
      if (this.nextBackslash < i) {
        const backslash = bytes.indexOf(BACKSLASH, i);
        this.nextBackslash = backslash === -1 ? end : backslash;
      }
      if (this.nextBackslash > quote) return quote;
      // Escapes before the quote: walk them; it closes the string unless the walk steps over it.
      for (i = this.nextBackslash; i < quote; i++) if (bytes[i] === BACKSLASH) i++;
      if (i === quote) return quote;
    }
    return end;
  }
}
