import { randomFillSync } from 'node:crypto';

/** Random bytes for 256 ids, refilled when used up (one syscall per 256 sends). */
const pool = Buffer.allocUnsafe(16 * 256);
let poolOffset = pool.length;
/** The id being formatted: 36 ASCII bytes. */
const text = Buffer.allocUnsafe(36);
/** ASCII codes of '0'–'9', 'a'–'f'. */
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A random (version 4) UUID for a task id, as `crypto.randomUUID()` makes — but as one flat
 * string. Node builds `randomUUID()`'s result by concatenation, which V8 keeps as a tree of about
 * ten string pieces; a producer holds each id until the broker confirms the message (for a
 * re-publish, and in its AsyncResult), so with 20,000 sends in flight those trees were a third of
 * the memory held per send, and the garbage collector's work with it. Measured in
 * docs/PERFORMANCE.md ("Producer publish path").
 */
export function newTaskId(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += 16;
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40; // version 4
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  let out = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[out++] = 0x2d; // '-'
    const byte = pool[at + i]!;
    text[out++] = HEX[byte >> 4]!;
    text[out++] = HEX[byte & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
