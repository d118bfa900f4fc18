import { isUtf8 } from 'node:buffer';
import { SerializationError } from '../errors';
import { parsePythonDatetime } from './python-datetime';

/**
 * kombu's JSON type tags (kombu ≥ 5.3, `kombu/utils/json.py`): a Python value JSON cannot hold
 * travels as an object with exactly two keys, `{"__type__": name, "__value__": value}`.
 *
 * | `__type__` | Python sends `__value__` as          | taskq decodes to                      |
 * |------------|--------------------------------------|---------------------------------------|
 * | datetime   | `isoformat()` text                   | `Date` (naive = UTC, ms precision)    |
 * | date       | `'YYYY-MM-DD'`                       | that string (JS has no date-only type)|
 * | time       | `'HH:MM:SS[.ffffff][+HH:MM]'`        | that string                           |
 * | decimal    | `str(Decimal)`, e.g. `'1.10'`        | that string (exact; never a float)    |
 * | uuid       | `{"hex": "…"}` (5.3.0 adds `version`)| canonical `'xxxxxxxx-xxxx-…'` string  |
 * | bytes      | the bytes decoded as UTF-8           | `Buffer`                              |
 * | base64     | base64 text (bytes that aren't UTF-8)| `Buffer`                              |
 *
 * Any other `__type__` is left as the plain object it is: kombu would raise, but nothing named
 * by a payload is ever looked up or instantiated here.
 */
export type KombuTag = { __type__: unknown; __value__: unknown };

/** A kombu tag object, or undefined if `value` is not exactly `{__type__, __value__}`. */
export function asKombuTag(value: object): KombuTag | undefined {
  // Own-property checks first: they are cheap and almost always false.
  if (!Object.hasOwn(value, '__type__') || !Object.hasOwn(value, '__value__')) return undefined;
  return Object.keys(value).length === 2 ? (value as KombuTag) : undefined;
}

/**
 * Decodes a known tag; returns the tag object itself for unknown `__type__` values.
 * @throws {@link SerializationError} when a known tag carries a malformed value.
 */
export function reviveKombuTag(tag: KombuTag): unknown {
  const { __type__: type, __value__: value } = tag;
  switch (type) {
    case 'datetime': {
      const date = typeof value === 'string' ? parsePythonDatetime(value) : undefined;
      return date ?? malformed(type, value, 'an ISO 8601 date-time such as 2024-05-01T12:30:00.123456+00:00');
    }
    case 'date':
      // Python's decoder is datetime.fromisoformat(v).date(), so a full date-time is accepted too.
      return typeof value === 'string' && parsePythonDatetime(value)
        ? value.slice(0, 10)
        : malformed(type, value, 'an ISO 8601 date such as 2024-05-01');
    case 'time':
      return typeof value === 'string' && /^\d{2}:\d{2}/.test(value) ? value : malformed(type, value, 'a time such as 12:30:00.123456');
    case 'decimal':
      return typeof value === 'string' ? value : malformed(type, value, "a decimal string such as '1.10'");
    case 'uuid':
      return reviveUuid(value) ?? malformed(type, value, 'an object {"hex": "<32 hex digits>"} or a UUID string');
    case 'bytes':
      return typeof value === 'string' ? Buffer.from(value, 'utf8') : malformed(type, value, 'a string');
    case 'base64':
      return typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value)
        ? Buffer.from(value, 'base64')
        : malformed(type, value, 'a base64 string');
    default:
      return tag;
  }
}

function reviveUuid(value: unknown): string | undefined {
  // kombu 5.3 sends {"hex": ..., "version": n}, later versions {"hex": ...}; version only
  // re-asserts bits a valid UUID already has, so it is ignored. A bare string is accepted too.
  const hex =
    typeof value === 'string'
      ? value
      : typeof value === 'object' && value !== null && typeof (value as { hex?: unknown }).hex === 'string'
        ? (value as { hex: string }).hex
        : undefined;
  if (hex === undefined) return undefined;
  // Same clean-up as Python's uuid.UUID(hex=...): optional urn prefix, braces and hyphens.
  const digits = hex
    .replace(/^urn:/i, '')
    .replace(/^uuid:/i, '')
    .replace(/^\{|\}$/g, '')
    .replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(digits)) return undefined;
  const h = digits.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function malformed(type: string, value: unknown, expected: string): never {
  const shown = typeof value === 'string' ? `'${value.length > 60 ? `${value.slice(0, 60)}…` : value}'` : typeof value;
  throw new SerializationError(
    `Cannot decode application/json payload: kombu type tag '${type}' has __value__ ${shown}, expected ${expected}.`,
  );
}

/** kombu's tag for bytes: `bytes` with the UTF-8 text when valid UTF-8, else `base64`. */
export function bytesTag(bytes: Uint8Array): KombuTag {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buffer)
    ? { __type__: 'bytes', __value__: buffer.toString('utf8') }
    : { __type__: 'base64', __value__: buffer.toString('base64') };
}
