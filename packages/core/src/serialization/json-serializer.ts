import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { SerializationError } from '../errors';
import { jsonNestingExceeds, minJsonBytesDeeperThan } from './json-nesting';
import { asKombuTag, bytesTag, reviveKombuTag } from './kombu-json-tags';
import { MAX_DECODE_DEPTH, NestingTooDeepError } from './nesting-limit';
import { prepareForEncoding, Refusal, type EncodingRules } from './prepare-for-encoding';
import { formatPythonDatetime } from './python-datetime';
import { isForbiddenKey } from './safe-keys';
import type { Serializer } from './serializer';

/** Options for {@link createJsonSerializer}. */
export interface JsonSerializerOptions {
  /**
   * How a `Date` is written.
   * - `'kombu-tag'`: `{"__type__": "datetime", "__value__": "2024-05-01T12:30:00.123000+00:00"}`,
   *   which kombu ≥ 5.3 (Celery ≥ 5.3) turns back into a `datetime`.
   * - `'iso-string'`: the plain `toISOString()` text. Use it for kombu < 5.3 (e.g. Debian's
   *   Celery 5.2), which does not decode tags and would hand the task a dict.
   * @defaultValue 'kombu-tag'
   */
  dates?: 'kombu-tag' | 'iso-string';
}

/**
 * JSON, wire-compatible with kombu's `json` serializer (`application/json`, `utf-8`).
 *
 * Encoding (after the shared checks of {@link prepareForEncoding}):
 * - `Date` → kombu `datetime` tag (or ISO text, see {@link JsonSerializerOptions.dates});
 * - `Buffer`/`Uint8Array` → kombu `bytes` tag, or `base64` when not valid UTF-8 (as kombu does);
 * - `bigint` → a JSON number; beyond ±2^53 it is written as an exact integer literal, which
 *   Python reads as an exact `int` (JS readers will see a rounded number);
 * - `NaN`/`±Infinity` → refused (`JSON.stringify` would silently write `null`).
 *
 * Decoding: `JSON.parse`, kombu type tags revived (see `kombu-json-tags.ts`), `__proto__` keys
 * dropped. Integers beyond ±2^53 lose precision (use msgpack for exact 64-bit integers), and
 * Python's non-standard `NaN`/`Infinity` tokens are rejected as invalid JSON. Payloads nested
 * deeper than {@link MAX_DECODE_DEPTH} are refused before parsing.
 */
export function createJsonSerializer(options: JsonSerializerOptions = {}): Serializer {
  const rules = options.dates === 'iso-string' ? ISO_DATE_RULES : KOMBU_RULES;
  return Object.freeze({
    name: 'json',
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    encode: (value: unknown) => encodeJson(value, rules),
    decode: decodeJson,
  });
}

// Exact integers beyond ±2^53 cannot be produced by JSON.stringify on Node 20 (no JSON.rawJSON),
// so they are written as marker strings and unquoted afterwards. The per-process random nonce
// keeps user strings from ever matching a marker.
const BIGINT_MARKER = `taskq-bigint-${randomBytes(8).toString('hex')}:`;
const BIGINT_MARKER_IN_JSON = new RegExp(`"${BIGINT_MARKER}(-?\\d+)"`, 'g');
const MIN_SAFE_BIGINT = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

const KOMBU_RULES: EncodingRules = {
  format: 'JSON',
  number: (value) => {
    if (Number.isFinite(value)) return value;
    throw new Refusal(String(value), 'JSON has no NaN or Infinity (JSON.stringify would silently write null); send null or a string');
  },
  bigint: (value) => (value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? Number(value) : `${BIGINT_MARKER}${value}`),
  date: (value) => {
    const text = formatPythonDatetime(value);
    if (text === undefined) {
      throw new Refusal(`the Date ${value.toISOString()}`, "Python's datetime only holds years 1 to 9999");
    }
    return { __type__: 'datetime', __value__: text };
  },
  bytes: bytesTag,
};

const ISO_DATE_RULES: EncodingRules = { ...KOMBU_RULES, date: (value) => value.toISOString() };

function encodeJson(value: unknown, rules: EncodingRules): Buffer {
  const prepared = prepareForEncoding(value, rules);
  // prepared only contains plain data now, so stringify cannot throw or call user code.
  let text = JSON.stringify(prepared);
  // Markers only exist when something was replaced, i.e. prepared is a copy.
  if (prepared !== value && text.includes(BIGINT_MARKER)) text = text.replace(BIGINT_MARKER_IN_JSON, '$1');
  return Buffer.from(text, 'utf8');
}

// Shorter payloads cannot nest deeper than the limit, so small messages skip the scan.
const MIN_BYTES_TO_SCAN = minJsonBytesDeeperThan(MAX_DECODE_DEPTH);

// Reviving is only needed when the text could hold a tag or a __proto__ key: both contain "__",
// unless written with \u escapes of ASCII characters, which ordinary encoders never emit
// (Python's ensure_ascii escapes only non-ASCII and control characters).
const ESCAPED_ASCII = /\\u00[2-7]/i;

function decodeJson(payload: Buffer): unknown {
  const fail = (reason: string, cause?: unknown): never => {
    throw new SerializationError(`Cannot decode application/json payload (${payload.length} bytes): ${reason}`, {
      cause,
    });
  };
  if (payload.length === 0) return fail('it is empty.');
  if (!isUtf8(payload)) return fail('it is not valid UTF-8 (content encoding must be utf-8).');
  // Bounded before parsing: revive() and whatever the task does next walk the value recursively.
  if (payload.length >= MIN_BYTES_TO_SCAN && jsonNestingExceeds(payload, MAX_DECODE_DEPTH)) {
    throw new NestingTooDeepError('application/json', payload.length);
  }
  const text = payload.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(describeFailure(error), error);
  }
  if (!text.includes('__') && !ESCAPED_ASCII.test(text)) return value;
  try {
    return revive(value);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    return fail(describeFailure(error), error);
  }
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Drops `__proto__` keys and revives kombu tags, bottom-up like Python's `object_hook`, in place
 * (the value is fresh from JSON.parse). A walk rather than a JSON.parse reviver: V8 runs revivers
 * several times slower.
 */
function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (isForbiddenKey(key)) delete record[key];
    else record[key] = revive(record[key]);
  }
  const tag = asKombuTag(record);
  return tag ? reviveKombuTag(tag) : record;
}
