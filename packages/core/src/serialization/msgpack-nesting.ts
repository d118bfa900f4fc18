/** What {@link scanMsgpackNesting} found. */
export type MsgpackNesting =
  | { readonly kind: 'within-limit' }
  | { readonly kind: 'too-deep' }
  /** An extension other than the timestamp (-1), whose decoder may read nested values. */
  | { readonly kind: 'extension'; readonly type: number; readonly offset: number };

const WITHIN_LIMIT: MsgpackNesting = { kind: 'within-limit' };
const TOO_DEEP: MsgpackNesting = { kind: 'too-deep' };
const TIMESTAMP_EXTENSION = 0xff; // type -1

/**
 * Follows the structure of the first MessagePack value in `bytes` without decoding it, and
 * reports whether it opens more than `limit` nested arrays/maps (an empty one counts too).
 *
 * Linear and not recursive: one step per header, strings/binaries/extension data skipped by
 * their declared length, and a stack holding each open container's remaining item count, never
 * more than `limit` entries. Huge declared counts or lengths cost nothing (they are only
 * numbers), and truncated input ends the scan: every step consumes at least one byte, and nothing
 * is read past the end. Malformed input is left for the decoder to refuse.
 *
 * Extensions other than the timestamp are reported instead of skipped: msgpackr's own (Set,
 * Error, RegExp, records, bundled strings) read further values after their header, so their
 * nesting cannot be followed here.
 */
export function scanMsgpackNesting(bytes: Uint8Array, limit: number): MsgpackNesting {
  const end = bytes.length;
  /** Items (map keys and values counted separately) still to come in each open container. */
  const remaining: number[] = [];
  let pos = 0;
  while (pos < end) {
    const header = pos;
    const token = bytes[pos++] as number;
    let container = false;
    let items = 0;
    let skip = 0;
    if (token <= 0x7f || token >= 0xe0) {
      // positive/negative fixint
    } else if (token <= 0x8f) {
      container = true;
      items = (token & 0x0f) * 2;
    } else if (token <= 0x9f) {
      container = true;
      items = token & 0x0f;
    } else if (token <= 0xbf) {
      skip = token & 0x1f; // fixstr
    } else {
      switch (token) {
        case 0xc4: // bin 8
        case 0xd9: // str 8
          skip = readLength(bytes, pos, 1);
          pos += 1;
          break;
        case 0xc5: // bin 16
        case 0xda: // str 16
          skip = readLength(bytes, pos, 2);
          pos += 2;
          break;
        case 0xc6: // bin 32
        case 0xdb: // str 32
          skip = readLength(bytes, pos, 4);
          pos += 4;
          break;
        case 0xc7: // ext 8
        case 0xc8: // ext 16
        case 0xc9: {
          // ext 32
          const size = 1 << (token - 0xc7); // bytes of the length field: 1, 2, 4
          skip = readLength(bytes, pos, size);
          pos += size;
          if (pos < end && bytes[pos] !== TIMESTAMP_EXTENSION) return extension(bytes[pos] as number, header);
          pos += 1;
          break;
        }
        case 0xd4: // fixext 1, 2, 4, 8, 16
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8:
          if (pos < end && bytes[pos] !== TIMESTAMP_EXTENSION) return extension(bytes[pos] as number, header);
          skip = 1 + (1 << (token - 0xd4));
          break;
        case 0xca: // float 32
        case 0xce: // uint 32
        case 0xd2: // int 32
          skip = 4;
          break;
        case 0xcb: // float 64
        case 0xcf: // uint 64
        case 0xd3: // int 64
          skip = 8;
          break;
        case 0xcc: // uint 8
        case 0xd0: // int 8
          skip = 1;
          break;
        case 0xcd: // uint 16
        case 0xd1: // int 16
          skip = 2;
          break;
        case 0xdc: // array 16
          container = true;
          items = readLength(bytes, pos, 2);
          pos += 2;
          break;
        case 0xdd: // array 32
          container = true;
          items = readLength(bytes, pos, 4);
          pos += 4;
          break;
        case 0xde: // map 16
          container = true;
          items = readLength(bytes, pos, 2) * 2;
          pos += 2;
          break;
        case 0xdf: // map 32
          container = true;
          items = readLength(bytes, pos, 4) * 2;
          pos += 4;
          break;
        default: // nil, false, true, and the never-used 0xc1 (the decoder refuses it)
          break;
      }
    }
    pos += skip;
    if (container) {
      if (remaining.length >= limit) return TOO_DEEP;
      if (items > 0) {
        remaining.push(items);
        continue;
      }
    }
    // One value is complete: count it, and close every container it completes.
    let open = remaining.length;
    while (open > 0) {
      const left = (remaining[open - 1] as number) - 1;
      if (left > 0) {
        remaining[open - 1] = left;
        break;
      }
      remaining.pop();
      open--;
    }
    if (open === 0) return WITHIN_LIMIT; // the decoder reads only this first value
  }
  return WITHIN_LIMIT; // truncated: the decoder will say so
}

/** Big-endian unsigned integer of `size` bytes at `pos`; 0 when truncated (the scan then ends). */
function readLength(bytes: Uint8Array, pos: number, size: number): number {
  if (pos + size > bytes.length) return 0;
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + (bytes[pos + i] as number);
  return value;
}

function extension(typeByte: number, offset: number): MsgpackNesting {
  return { kind: 'extension', type: typeByte >= 0x80 ? typeByte - 0x100 : typeByte, offset };
}
