import { types } from 'node:util';
import { MAX_DECODE_DEPTH } from './nesting-limit';
import { setOwn } from './safe-keys';
import { formatValuePath, UnencodableValueError, type ValuePathSegment } from './unencodable-value-error';

/**
 * Thrown by an {@link EncodingRules} hook (or the walker) to refuse a value. The walker turns it
 * into an {@link UnencodableValueError} that also names the format and the path.
 */
export class Refusal {
  constructor(
    readonly found: string,
    readonly reason: string,
  ) {}
}

/**
 * How one format represents the JS values that are not plain JSON-like data. Each hook returns
 * its argument unchanged when the encoder handles the value natively, a replacement otherwise,
 * or throws a {@link Refusal}.
 */
export interface EncodingRules {
  /** Name used in error messages, e.g. `JSON`. */
  readonly format: string;
  number(value: number): unknown;
  bigint(value: bigint): unknown;
  /** Only called with valid dates; invalid ones are refused before. */
  date(value: Date): unknown;
  /** Buffers and other `Uint8Array`s. */
  bytes(value: Uint8Array): unknown;
}

/**
 * Checks a value for encoding and normalizes it, with the same rules for every format:
 * - functions, symbols, circular references, invalid dates and containers that would silently
 *   lose data (`Map`, `Set`, `Promise`, `Error`, `RegExp`, typed arrays other than `Uint8Array`)
 *   are refused with the path to them;
 * - so are values nested deeper than {@link MAX_DECODE_DEPTH}, which every taskq decoder refuses
 *   (a format's replacement object, such as JSON's kombu tag for a `Date`, counts as a level);
 * - `undefined` becomes `null` in arrays and at the top level and is left out of objects
 *   (`JSON.stringify`'s rule, applied to msgpack and YAML too);
 * - objects with `toJSON()` are replaced by its result; other class instances become plain
 *   objects of their own enumerable properties;
 * - numbers, bigints, dates and bytes go through the format's {@link EncodingRules}.
 *
 * Copy-on-write: when nothing needs changing the original value is returned without allocating.
 * @throws {@link UnencodableValueError}
 */
export function prepareForEncoding(value: unknown, rules: EncodingRules): unknown {
  // Fast pass: no path or ancestor bookkeeping, only a depth cap that stands in for cycle
  // detection. Anything unusual (a refusal, a throwing getter, deep nesting) is redone by the
  // tracking pass, which reports precisely or succeeds; getters may then run twice.
  try {
    return new Walk(rules, false).value(value, '');
  } catch {
    // fall through to the tracking pass
  }
  const walk = new Walk(rules, true);
  try {
    return walk.value(value, '');
  } catch (error) {
    // walk.path is not unwound on throw, so it still points at the offending value.
    const path = walk.path?.slice() ?? [];
    if (error instanceof Refusal) {
      throw new UnencodableValueError(rules.format, path, error.found, error.reason);
    }
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RangeError && /call stack/i.test(message)) {
      throw new UnencodableValueError(rules.format, path, 'a value nested too deeply', 'flatten the structure', {
        cause: error,
      });
    }
    throw new UnencodableValueError(rules.format, path, 'a value whose getter or toJSON() threw', message, {
      cause: error,
    });
  }
}

/** Depth beyond which the fast pass gives up; real payloads are far shallower, cycles are not. */
const MAX_UNTRACKED_DEPTH = 100;

const TOO_DEEP = new Refusal(
  `a value nested deeper than ${MAX_DECODE_DEPTH} levels`,
  `taskq's decoders refuse payloads nested deeper than that (MAX_DECODE_DEPTH), so it would never be read; ` +
    'flatten the structure, or send the deep part as a string the receiver parses itself',
);

class Walk {
  /** Tracking pass only: path to the value being visited; left as is when something throws. */
  readonly path: ValuePathSegment[] | undefined;
  /** Tracking pass only: containers on the current path, outermost first. */
  private readonly ancestors: object[] | undefined;
  /** Tracking pass only: path length at which each ancestor was entered, to name a cycle's target. */
  private readonly depths: number[] | undefined;
  /** Fast pass only: current nesting depth. */
  private depth = 0;
  /** Containers (arrays and objects) of the output around the value being visited. */
  private containers = 0;

  constructor(
    private readonly rules: EncodingRules,
    tracking: boolean,
  ) {
    if (tracking) {
      this.path = [];
      this.ancestors = [];
      this.depths = [];
    }
  }

  value(value: unknown, key: string | number): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return this.rules.number(value);
      case 'bigint':
        return this.rules.bigint(value);
      case 'undefined':
        return null;
      case 'function':
        throw new Refusal('a function', 'functions cannot travel in a message; send data and look the function up on the receiving side');
      case 'object':
        return value === null ? null : this.object(value, key);
      default: // symbol
        throw new Refusal('a symbol', 'symbols have no serialized form; use a string');
    }
  }

  private object(value: object, key: string | number): unknown {
    if (Array.isArray(value)) return this.array(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) return this.record(value, false);
    // util.types checks also recognize values made in another realm (vm contexts, jest).
    if (types.isDate(value)) {
      if (Number.isNaN(value.getTime())) throw new Refusal('an invalid Date', 'its time value is NaN; check how it was built');
      return this.replacement(this.rules.date(value));
    }
    if (types.isUint8Array(value)) return this.replacement(this.rules.bytes(value));
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const replacement: unknown = toJSON.call(value, String(key));
      if (replacement !== value) {
        this.enter(value);
        const out = this.value(replacement, key);
        this.leave();
        return out;
      }
    }
    if (types.isBoxedPrimitive(value)) return this.value(value.valueOf(), key);
    const refused = describeRefused(value);
    if (refused) throw refused;
    // A class instance: encode its own enumerable properties, as JSON.stringify does, but always
    // as a plain copy so msgpack and YAML see the same thing JSON does.
    return this.record(value, true);
  }

  /** A format's replacement for a date or bytes; a plain object (a kombu tag) is one more level. */
  private replacement(out: unknown): unknown {
    const isLevel = typeof out === 'object' && out !== null && !types.isDate(out) && !types.isUint8Array(out);
    if (isLevel && this.containers >= MAX_DECODE_DEPTH) throw TOO_DEEP;
    return out;
  }

  /** Opens an output container around what follows; refuses one level too many. */
  private openContainer(): void {
    if (++this.containers > MAX_DECODE_DEPTH) throw TOO_DEEP;
  }

  /** Notes that `value` is on the current path; refuses it if it already was (a cycle). */
  private enter(value: object): void {
    if (this.ancestors === undefined) {
      if (++this.depth > MAX_UNTRACKED_DEPTH) throw new Refusal('deep nesting', 'retry with tracking');
      return;
    }
    const index = this.ancestors.indexOf(value);
    if (index !== -1) {
      const enteredAt = this.depths?.[index] ?? 0;
      throw new Refusal(
        'a circular reference',
        `it points back to ${formatValuePath(this.path?.slice(0, enteredAt) ?? [])}; send a tree, not a graph`,
      );
    }
    this.ancestors.push(value);
    this.depths?.push(this.path?.length ?? 0);
  }

  private leave(): void {
    if (this.ancestors === undefined) {
      this.depth--;
      return;
    }
    this.ancestors.pop();
    this.depths?.pop();
  }

  private array(source: readonly unknown[]): unknown[] {
    this.enter(source);
    this.openContainer();
    const path = this.path;
    let copy: unknown[] | undefined;
    for (let i = 0; i < source.length; i++) {
      path?.push(i);
      const item = source[i];
      const out = this.value(item, i);
      path?.pop();
      if (copy !== undefined) copy.push(out);
      else if (!Object.is(out, item)) {
        copy = source.slice(0, i);
        copy.push(out);
      }
    }
    this.containers--;
    this.leave();
    return copy ?? (source as unknown[]);
  }

  private record(value: object, alwaysCopy: boolean): object {
    this.enter(value);
    this.openContainer();
    const path = this.path;
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    let copy: Record<string, unknown> | undefined = alwaysCopy ? {} : undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      path?.push(key); // before the read: a getter may throw
      const item = source[key];
      if (item === undefined) {
        path?.pop();
        copy ??= copyHead(source, keys, i);
        continue;
      }
      const out = this.value(item, key);
      path?.pop();
      if (copy !== undefined) setOwn(copy, key, out);
      else if (!Object.is(out, item)) {
        copy = copyHead(source, keys, i);
        setOwn(copy, key, out);
      }
    }
    this.containers--;
    this.leave();
    return copy ?? value;
  }
}

/** A copy of the first `end` entries, which the walk found unchanged. */
function copyHead(source: Record<string, unknown>, keys: readonly string[], end: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (let j = 0; j < end; j++) {
    const key = keys[j] as string;
    const item = source[key];
    if (item !== undefined) setOwn(copy, key, item);
  }
  return copy;
}

/** Objects every format would mangle silently (JSON.stringify writes `{}` for a Map). */
function describeRefused(value: object): Refusal | undefined {
  if (types.isMap(value)) {
    return new Refusal('a Map', 'convert it with Object.fromEntries(map) or to an array of [key, value] pairs');
  }
  if (types.isSet(value)) return new Refusal('a Set', 'convert it to an array with [...set]');
  if (types.isWeakMap(value) || types.isWeakSet(value)) {
    return new Refusal(`a ${typeName(value)}`, 'it cannot be enumerated; copy what you need into an object');
  }
  if (types.isPromise(value)) return new Refusal('a Promise', 'await it before sending its value');
  if (types.isNativeError(value) || value instanceof Error) {
    return new Refusal(`an Error (${(value as Error).name})`, 'send a plain object such as { name, message } instead');
  }
  if (types.isRegExp(value)) return new Refusal('a RegExp', 'send its source as a string');
  if (types.isArrayBufferView(value)) {
    return new Refusal(
      `a ${typeName(value)}`,
      'only Buffer/Uint8Array travel as bytes; wrap it with Buffer.from(x.buffer, x.byteOffset, x.byteLength) or send an array',
    );
  }
  if (types.isAnyArrayBuffer(value)) return new Refusal(`an ${typeName(value)}`, 'wrap it with Buffer.from(arrayBuffer)');
  return undefined;
}

function typeName(value: object): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}
