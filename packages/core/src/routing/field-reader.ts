/**
 * Reads typed fields out of raw, parsed config (YAML/JSON or an options object) for one file,
 * recording a {@link ConfigProblem} for every wrong value instead of stopping at the first, so
 * a user sees every mistake in one run. Each reader returns `undefined` when the field is absent
 * or wrong; callers then fall back to a default and keep validating.
 */
import type { ConfigProblem } from '../errors';
import { closestKey } from './closest-key';

/** A raw mapping from a parsed file. */
export type RawMapping = Record<string, unknown>;

/** AMQP names and keys are short strings: at most 255 bytes. */
const MAX_SHORTSTR_BYTES = 255;

/** Typed reads from one file's raw config; every wrong value becomes a problem naming this file. */
export class FieldReader {
  constructor(
    /** The file (or label) every recorded problem names. */
    readonly file: string,
    /** Where problems are collected; shared between the readers of all files. */
    readonly problems: ConfigProblem[],
  ) {}

  /** Records a problem at `key` (a dotted path; `''` for the whole file). */
  report(key: string, message: string): void {
    this.problems.push({ file: this.file, key, message });
  }

  /** `value` as a mapping, or a problem saying what was expected there. */
  mapping(value: unknown, key: string, expected: string): RawMapping | undefined {
    if (isMapping(value)) return value;
    this.report(key, `expected ${expected}, found ${describeValue(value)}`);
    return undefined;
  }

  /** Reports every key of `raw` that is not in `allowed`, suggesting the closest known key. */
  allowKeys(raw: RawMapping, prefix: string, allowed: readonly string[]): void {
    for (const key of Object.keys(raw)) {
      if (allowed.includes(key)) continue;
      const suggestion = closestKey(key, allowed);
      this.report(
        joinKey(prefix, key),
        `unknown key '${key}'; ${suggestion ? `did you mean '${suggestion}'?` : `expected one of ${allowed.join(', ')}`}`,
      );
    }
  }

  /** A string field; `nonEmpty` also rejects `''`. */
  string(raw: RawMapping, prefix: string, name: string, opts: { nonEmpty?: boolean } = {}): string | undefined {
    if (!has(raw, name)) return undefined;
    const value = raw[name];
    if (typeof value === 'string' && !(opts.nonEmpty && value === '')) return value;
    const expected = opts.nonEmpty ? 'a non-empty string' : 'a string';
    this.report(joinKey(prefix, name), `expected ${expected}, found ${describeValue(value)}`);
    return undefined;
  }

  /** An AMQP name or key: a string of at most 255 bytes (`nonEmpty` also rejects `''`). */
  amqpName(raw: RawMapping, prefix: string, name: string, opts: { nonEmpty?: boolean } = {}): string | undefined {
    const value = this.string(raw, prefix, name, opts);
    return value !== undefined && this.checkLength(value, joinKey(prefix, name)) ? value : undefined;
  }

  /** A queue name: non-empty, at most 255 bytes, and not in RabbitMQ's reserved `amq.` namespace. */
  queueName(raw: RawMapping, prefix: string, name: string): string | undefined {
    const value = this.amqpName(raw, prefix, name, { nonEmpty: true });
    if (value === undefined || !isReservedQueueName(value)) return value;
    this.report(joinKey(prefix, name), reservedQueueNameMessage(value));
    return undefined;
  }

  /**
   * A field holding one string or a list of strings, returned as entries with the key each came
   * from (`tasks`, or `tasks[2]` for a list element). Wrong elements are reported and left out.
   *
   * @param what - `item`: one element, e.g. `a task name`; `list`: the whole field
   * @param opts - `amqp`: an AMQP key (may be `''`, at most 255 bytes); otherwise must be non-empty
   */
  stringList(
    raw: RawMapping,
    prefix: string,
    name: string,
    what: { item: string; list: string },
    opts: { amqp?: boolean } = {},
  ): { value: string; key: string }[] | undefined {
    if (!has(raw, name)) return undefined;
    const key = joinKey(prefix, name);
    const value = raw[name];
    if (!Array.isArray(value) && typeof value !== 'string') {
      this.report(key, `expected ${what.list}, found ${describeValue(value)}`);
      return undefined;
    }
    const items: [unknown, string][] = Array.isArray(value)
      ? value.map((item: unknown, i): [unknown, string] => [item, `${key}[${i}]`])
      : [[value, key]];
    const entries: { value: string; key: string }[] = [];
    for (const [item, itemKey] of items) {
      if (typeof item !== 'string' || (!opts.amqp && item === '')) {
        const expected = `${what.item} (a ${opts.amqp ? '' : 'non-empty '}string)`;
        this.report(itemKey, `expected ${expected}, found ${describeValue(item)}`);
      } else if (!opts.amqp || this.checkLength(item, itemKey)) {
        entries.push({ value: item, key: itemKey });
      }
    }
    return entries;
  }

  /** A boolean field. */
  boolean(raw: RawMapping, prefix: string, name: string): boolean | undefined {
    if (!has(raw, name)) return undefined;
    const value = raw[name];
    if (typeof value === 'boolean') return value;
    this.report(joinKey(prefix, name), `expected true or false, found ${describeValue(value)}`);
    return undefined;
  }

  /** An integer field within `[min, max]`; `expected` is the phrase used in the problem. */
  integer(raw: RawMapping, prefix: string, name: string, min: number, max: number, expected: string): number | undefined {
    if (!has(raw, name)) return undefined;
    const value = raw[name];
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.report(joinKey(prefix, name), `expected ${expected}, found ${describeFound(value)}`);
    return undefined;
  }

  /** One of a fixed set of strings, suggesting the closest on a typo. */
  oneOf<T extends string>(raw: RawMapping, prefix: string, name: string, allowed: readonly T[]): T | undefined {
    if (!has(raw, name)) return undefined;
    const value = raw[name];
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const suggestion = typeof value === 'string' ? closestKey(value, allowed) : undefined;
    this.report(
      joinKey(prefix, name),
      `expected one of ${allowed.join(', ')}, found ${describeValue(value)}${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
    );
    return undefined;
  }

  private checkLength(value: string, key: string): boolean {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes <= MAX_SHORTSTR_BYTES) return true;
    this.report(key, `expected at most ${MAX_SHORTSTR_BYTES} bytes (an AMQP limit), found a string of ${bytes} bytes`);
    return false;
  }
}

/** RabbitMQ refuses to declare queues whose names start with `amq.`. */
export function isReservedQueueName(name: string): boolean {
  return name.startsWith('amq.');
}

/** The problem text for a queue name in the reserved `amq.` namespace. */
export function reservedQueueNameMessage(name: string): string {
  return `queue name ${quote(name)} starts with 'amq.', which RabbitMQ reserves for itself; choose another name`;
}

/** Whether `value` is a plain mapping (not null, not a list). */
export function isMapping(value: unknown): value is RawMapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `raw` sets `name`; `undefined` counts as not set, so in-code options can leave keys out. */
export function has(raw: RawMapping, name: string): boolean {
  return Object.hasOwn(raw, name) && raw[name] !== undefined;
}

/** `prefix.key`, or just `key` at the top level. */
export function joinKey(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

/** Describes a found value with its type: `number 5`, `string 'high'`, `a list`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  switch (typeof value) {
    case 'string':
      return value === '' ? 'an empty string' : `string ${quote(value)}`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value === 'bigint' ? 'number' : typeof value} ${String(value)}`;
    case 'object':
      return 'a mapping';
    default:
      return `a ${typeof value}`;
  }
}

/** Like {@link describeValue}, but a number is shown bare: "found 300" reads better for range errors. */
export function describeFound(value: unknown): string {
  return typeof value === 'number' ? String(value) : describeValue(value);
}

/** `'text'`, shortened so one bad value cannot flood an error message. */
export function quote(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `'${short}'`;
}
