import { Packr } from 'msgpackr';
import { SerializationError } from '../errors';
import { scanMsgpackNesting } from './msgpack-nesting';
import { MAX_DECODE_DEPTH, NestingTooDeepError } from './nesting-limit';
import { prepareForEncoding, Refusal, type EncodingRules } from './prepare-for-encoding';
import { isForbiddenKey } from './safe-keys';
import type { Serializer } from './serializer';
import { formatValuePath, type ValuePathSegment } from './unencodable-value-error';

/**
 * MessagePack, wire-compatible with kombu's `msgpack` serializer (Python `msgpack.packb(...,
 * use_bin_type=True)` / `unpackb(..., raw=False)`): `application/x-msgpack`, `binary`.
 *
 * Only standard MessagePack is written and read: msgpackr's own extensions (records, structured
 * clone, Set/Error/RegExp/typed-array extensions) are disabled for encoding and refused when a
 * payload uses them.
 * - `Date` ↔ the standard timestamp extension (-1). Python's msgpack decodes it to a
 *   `msgpack.Timestamp` (call `.to_datetime()`); kombu's packer cannot send `datetime`s.
 * - `Buffer` ↔ `bin` (Python `bytes`).
 * - Integers are always written as MessagePack integers, so Python gets an `int` (msgpackr alone
 *   would write integers beyond 32 bits as float64). `bigint` covers the full int64/uint64 range.
 * - Decoded 64-bit integers become numbers when safe (|n| ≤ 2^53 − 1), otherwise exact `bigint`s.
 * - Map keys: strings as they are; numbers, booleans and nil as their text (like Python's
 *   `json.dumps`); `__proto__` is dropped; other key types are refused.
 * - Payloads nested deeper than {@link MAX_DECODE_DEPTH} are refused before msgpackr decodes them.
 */
export function createMsgpackSerializer(): Serializer {
  // One instance per serializer: msgpackr keeps per-instance state, and these options must not
  // leak into other users of msgpackr in the process.
  const packr = new Packr({
    useRecords: false,
    structuredClone: false,
    moreTypes: false,
    bundleStrings: false,
    // Maps come back as Map so that keys are converted here, with the __proto__ rule applied
    // (msgpackr's own object mode renames __proto__ to __proto_ instead).
    mapsAsObjects: false,
    variableMapSize: true,
    useTimestamp32: false,
    int64AsType: 'bigint',
  });
  return Object.freeze({
    name: 'msgpack',
    contentType: 'application/x-msgpack',
    contentEncoding: 'binary',
    encode: (value: unknown) => encodeMsgpack(packr, value),
    decode: (payload: Buffer) => decodeMsgpack(packr, payload),
  });
}

const INT64_MIN = -(2n ** 63n);
const MIN_SAFE_BIGINT = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
const UINT64_MAX = 2n ** 64n - 1n;

const MSGPACK_RULES: EncodingRules = {
  format: 'msgpack',
  // Safe integers outside 32 bits go as bigint so msgpackr writes int64/uint64, not float64.
  number: (value) => (Number.isSafeInteger(value) && (value > 0xffffffff || value < -0x80000000) ? BigInt(value) : value),
  bigint: (value) => {
    if (value >= INT64_MIN && value <= UINT64_MAX) return value;
    throw new Refusal(`the bigint ${value}`, 'MessagePack integers are limited to 64 bits; send it as a string');
  },
  date: (value) => value,
  bytes: (value) => value,
};

function encodeMsgpack(packr: Packr, value: unknown): Buffer {
  const prepared = prepareForEncoding(value, MSGPACK_RULES);
  try {
    return packr.pack(prepared);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SerializationError(`Cannot encode value as msgpack: ${message}`, { cause: error });
  }
}

function decodeMsgpack(packr: Packr, payload: Buffer): unknown {
  if (payload.length === 0) throw new SerializationError('Cannot decode application/x-msgpack payload (0 bytes): it is empty.');
  checkNesting(payload);
  let raw: unknown;
  try {
    raw = packr.unpack(payload);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SerializationError(`Cannot decode application/x-msgpack payload (${payload.length} bytes): ${message}`, {
      cause: error,
    });
  }
  const path: ValuePathSegment[] = [];
  try {
    return toPlainValue(raw, path);
  } catch (error) {
    if (error instanceof Refusal) {
      throw new SerializationError(
        `Cannot decode application/x-msgpack payload: ${error.found} at ${formatValuePath(path)}; ${error.reason}.`,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new SerializationError(`Cannot decode application/x-msgpack payload: ${message}`, { cause: error });
  }
}

/**
 * Refuses payloads that msgpackr (recursive) and toPlainValue would have to follow deeper than
 * the limit. Every level takes at least one byte, so payloads up to the limit need no scan.
 */
function checkNesting(payload: Buffer): void {
  if (payload.length <= MAX_DECODE_DEPTH) return;
  const nesting = scanMsgpackNesting(payload, MAX_DECODE_DEPTH);
  if (nesting.kind === 'too-deep') throw new NestingTooDeepError('application/x-msgpack', payload.length);
  if (nesting.kind === 'extension') {
    throw new SerializationError(
      `Cannot decode application/x-msgpack payload (${payload.length} bytes): extension type ${nesting.type} ` +
        `at byte ${nesting.offset}; ${NON_STANDARD}.`,
    );
  }
}

const NON_STANDARD = 'taskq accepts only standard MessagePack types and the timestamp extension';

/** Converts msgpackr's output into plain data, refusing anything non-standard extensions made. */
function toPlainValue(value: unknown, path: ValuePathSegment[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT ? Number(value) : value;
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) {
        // Arrays are fresh from the decoder, so they are converted in place.
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          value[i] = toPlainValue(value[i], path);
          path.pop();
        }
        return value;
      }
      if (value instanceof Map) return mapToObject(value, path);
      // Copy: decoded bytes must not alias (and keep alive) the whole message buffer.
      if (value instanceof Uint8Array) return Buffer.from(value);
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new Refusal('a malformed timestamp', 'its length is not 4, 8 or 12 bytes');
        return value;
      }
      // With mapsAsObjects off, a plain object can only come from msgpackr's record extension.
      throw new Refusal(`a value of type ${describe(value)}`, NON_STANDARD);
    default:
      // undefined comes from extension 0 (notepack's undefined), which Python never sends.
      throw new Refusal(`a value of type ${typeof value}`, NON_STANDARD);
  }
}

function mapToObject(map: Map<unknown, unknown>, path: ValuePathSegment[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [rawKey, item] of map) {
    const key = toKey(rawKey);
    if (key === undefined) {
      throw new Refusal(`a map key of type ${describe(rawKey)}`, 'only string, number, boolean and nil keys become JS object keys');
    }
    if (isForbiddenKey(key)) continue;
    path.push(key);
    object[key] = toPlainValue(item, path);
    path.pop();
  }
  return object;
}

function toKey(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  return key === null ? 'null' : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (typeof value !== 'object') return typeof value;
  if (value instanceof Uint8Array) return 'bin';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'map';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name && name !== 'Object' ? name : 'record-extension object';
}
