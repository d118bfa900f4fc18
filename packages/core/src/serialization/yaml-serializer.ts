import { isUtf8 } from 'node:buffer';
import { types } from 'node:util';
import { stringify, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { SerializationError } from '../errors';
import { MAX_DECODE_DEPTH, NestingTooDeepError } from './nesting-limit';
import { prepareForEncoding, type EncodingRules } from './prepare-for-encoding';
import { isForbiddenKey } from './safe-keys';
import type { Serializer } from './serializer';
import { parseYaml } from './yaml-parse';

/**
 * YAML, wire-compatible with kombu's `yaml` serializer (PyYAML `safe_dump` / `safe_load`):
 * `application/x-yaml`, `utf-8`.
 *
 * Safety: the YAML 1.2 core schema plus the standard `!!binary` and `!!timestamp` types (PyYAML's
 * forms of `bytes` and `datetime`). Any other tag — `!!python/object…`, `!!set`, custom `!foo` —
 * is refused, never constructed. Merge keys (`<<`) are plain keys, duplicate keys are errors, and at most 100
 * alias expansions are allowed, so a "billion laughs" document fails fast. Documents nested deeper
 * than {@link MAX_DECODE_DEPTH} are refused while being parsed (see `yaml-parse.ts`), and so are
 * values that aliases make deeper.
 *
 * Types:
 * - `Date` ↔ an unquoted YAML timestamp (`2024-05-01T12:30:00.000Z`), which PyYAML's `safe_load`
 *   reads as a `datetime` — so a Date sent from taskq is a datetime in a Python task. PyYAML's
 *   datetimes (`2024-05-01 12:30:00.123456`, naive = UTC) and dates (`2024-05-01`, midnight UTC)
 *   arrive as Dates. Strings that look like timestamps are quoted by both sides and stay strings.
 * - `Buffer`/`Uint8Array` ↔ `!!binary` (Python `bytes`).
 * - `bigint` → an exact integer literal; decoded integers are numbers (beyond ±2^53 they are
 *   rounded — use msgpack for exact 64-bit integers).
 * - Strings PyYAML would misread under its YAML 1.1 rules (`yes`, `on`, `1:20`, `0o17`, …) are
 *   written quoted.
 */
export function createYamlSerializer(): Serializer {
  return Object.freeze({
    name: 'yaml',
    contentType: 'application/x-yaml',
    contentEncoding: 'utf-8',
    encode: encodeYaml,
    decode: decodeYaml,
  });
}

const SCHEMA: SchemaOptions = {
  schema: 'core',
  // Only !!binary and !!timestamp: resolveKnownTags would also enable !!set, !!omap and !!pairs.
  customTags: ['binary', 'timestamp'],
  resolveKnownTags: false,
  merge: false,
};
const PARSE: ParseOptions & DocumentOptions & SchemaOptions = {
  ...SCHEMA,
  uniqueKeys: true,
  stringKeys: true,
  // Warnings (e.g. an unresolved tag) are turned into errors below rather than logged.
  logLevel: 'silent',
};
const MAX_ALIAS_COUNT = 100;
const TAG_HINT =
  ' Only core-schema values, !!binary and !!timestamp are accepted; Python object tags come from yaml.dump, ' +
  'never from kombu (which uses yaml.safe_dump), and are never constructed.';

const YAML_RULES: EncodingRules = {
  format: 'YAML',
  number: (value) => value,
  bigint: (value) => value,
  date: (value) => value,
  bytes: (value) => value,
};

function encodeYaml(value: unknown): Buffer {
  const prepared = prepareForEncoding(value, YAML_RULES);
  try {
    const text = stringify(prepared, {
      ...SCHEMA,
      // Quote strings that PyYAML (YAML 1.1) would read as booleans, numbers or timestamps.
      compat: 'yaml-1.1',
      // prepareForEncoding already refused cycles; repeated objects are written out in full.
      aliasDuplicateObjects: false,
      // No folding of long strings: simpler output for every reader.
      lineWidth: 0,
    });
    return Buffer.from(text, 'utf8');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SerializationError(`Cannot encode value as YAML: ${message}`, { cause: error });
  }
}

function decodeYaml(payload: Buffer): unknown {
  const fail = (reason: string, cause?: unknown): never => {
    throw new SerializationError(`Cannot decode application/x-yaml payload (${payload.length} bytes): ${reason}`, {
      cause,
    });
  };
  const tooDeep = (): never => {
    throw new NestingTooDeepError('application/x-yaml', payload.length);
  };
  if (payload.length === 0) return fail('it is empty.');
  if (!isUtf8(payload)) return fail('it is not valid UTF-8 (content encoding must be utf-8).');
  let value: unknown;
  try {
    const { documents, locate } = parseYaml(payload.toString('utf8'), PARSE, MAX_DECODE_DEPTH, tooDeep);
    if (documents.length === 0) return null; // only comments or whitespace: PyYAML also gives None
    if (documents.length > 1) return fail(`it holds ${documents.length} YAML documents; a message body is one.`);
    const document = documents[0]!;
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem) {
      const hint = problem.code === 'TAG_RESOLVE_FAILED' ? TAG_HINT : '';
      return fail(`${firstLine(locate(problem))}.${hint}`);
    }
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    return fail(error instanceof Error ? error.message : String(error), error);
  }
  checkDecoded(value, 0, tooDeep);
  return value;
}

/**
 * Drops `__proto__` keys in place and refuses values nested deeper than the limit. The parse
 * bounded the document's syntax; an alias repeats its anchor's whole subtree, so the value can be
 * deeper (each alias in a chain adds its anchor's depth). Recursion is bounded by the limit.
 */
function checkDecoded(value: unknown, enclosing: number, tooDeep: () => never): void {
  if (typeof value !== 'object' || value === null || types.isDate(value) || types.isUint8Array(value)) return;
  if (enclosing >= MAX_DECODE_DEPTH) tooDeep();
  if (Array.isArray(value)) {
    for (const item of value) checkDecoded(item, enclosing + 1, tooDeep);
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (isForbiddenKey(key)) delete record[key];
    else checkDecoded(record[key], enclosing + 1, tooDeep);
  }
}

/** yaml's messages continue with a source excerpt after the first line; keep the summary. */
function firstLine(message: string): string {
  const newline = message.indexOf('\n');
  return (newline === -1 ? message : message.slice(0, newline)).replace(/[:.]\s*$/, '');
}
