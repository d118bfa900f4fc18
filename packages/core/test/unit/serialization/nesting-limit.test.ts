import { SerializationError } from '../../../src/errors';
import { createSerializerRegistry, MAX_DECODE_DEPTH, NestingTooDeepError, UnencodableValueError } from '../../../src/serialization';

const registry = createSerializerRegistry();
const formats = [
  ['json', 'JSON', 'application/json'],
  ['msgpack', 'msgpack', 'application/x-msgpack'],
  ['yaml', 'YAML', 'application/x-yaml'],
] as const;

/** `leaf` inside `depth` containers, alternating arrays and objects from the outside. */
function nest(depth: number, leaf: unknown = 'leaf'): unknown {
  let value = leaf;
  for (let level = depth; level >= 1; level--) value = level % 2 ? [value] : { k: value };
  return value;
}

/** `nest(depth)` written by hand from per-level openers and closers (odd levels are arrays). */
function written(depth: number, open: [string, string], close: [string, string], leaf: string): string {
  let head = '';
  let tail = '';
  for (let level = 1; level <= depth; level++) {
    head += open[level % 2]!;
    tail = close[level % 2]! + tail;
  }
  return head + leaf + tail;
}

/** The same shape written by hand, since the encoders refuse to write it beyond the limit. */
const handWritten: Record<string, (depth: number) => Buffer> = {
  json: (depth) => Buffer.from(written(depth, ['{"k":', '['], ['}', ']'], '"leaf"')),
  // fixarray of 1 (0x91); fixmap of 1 (0x81) with key "k" (0xa1 0x6b); "leaf" (0xa4 …)
  msgpack: (depth) => Buffer.from(written(depth, ['81a16b', '91'], ['', ''], 'a46c656166'), 'hex'),
  yaml: (depth) => Buffer.from(written(depth, ['{k: ', '['], ['}', ']'], 'leaf')),
};

it('is 64 levels', () => {
  expect(MAX_DECODE_DEPTH).toBe(64);
});

describe.each(formats)('%s: the nesting limit', (name, format, contentType) => {
  const serializer = registry.get(name);

  function decodeError(payload: Buffer): NestingTooDeepError {
    try {
      serializer.decode(payload);
    } catch (error) {
      if (error instanceof NestingTooDeepError) return error;
      throw error;
    }
    throw new Error('expected decode to throw');
  }

  it('decodes a value nested exactly MAX_DECODE_DEPTH levels deep', () => {
    expect(serializer.decode(serializer.encode(nest(MAX_DECODE_DEPTH)))).toEqual(nest(MAX_DECODE_DEPTH));
    expect(serializer.decode(handWritten[name]!(MAX_DECODE_DEPTH))).toEqual(nest(MAX_DECODE_DEPTH));
  });

  it('refuses one level more with a clear, distinguishable error', () => {
    const payload = handWritten[name]!(MAX_DECODE_DEPTH + 1);
    const error = decodeError(payload);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.code).toBe('SERIALIZATION_FAILED');
    expect(error.name).toBe('NestingTooDeepError');
    expect(error.contentType).toBe(contentType);
    expect(error.sizeBytes).toBe(payload.length);
    expect(error.limit).toBe(MAX_DECODE_DEPTH);
    expect(error.message).toBe(
      `Cannot decode ${contentType} payload (${payload.length} bytes): it is nested deeper than 64 levels, ` +
        `taskq's limit for message bodies (MAX_DECODE_DEPTH). Flatten the data, or send the deeply nested part ` +
        'another way (e.g. as a string the task parses itself, or a reference the task fetches).',
    );
  });

  it('counts an empty innermost container as a level', () => {
    const empty =
      name === 'msgpack'
        ? Buffer.from(`${'91'.repeat(MAX_DECODE_DEPTH)}90`, 'hex')
        : Buffer.from(`${'['.repeat(MAX_DECODE_DEPTH + 1)}${']'.repeat(MAX_DECODE_DEPTH + 1)}`);
    expect(decodeError(empty).message).toContain('it is nested deeper than 64 levels');
    expect(serializer.decode(serializer.encode(nest(MAX_DECODE_DEPTH - 1, [])))).toEqual(nest(MAX_DECODE_DEPTH - 1, []));
  });

  it(`refuses to encode one level more, naming the path (so taskq never sends what its workers refuse)`, () => {
    expect(() => serializer.encode(nest(MAX_DECODE_DEPTH + 1))).toThrow(UnencodableValueError);
    expect(() => serializer.encode(nest(MAX_DECODE_DEPTH + 1))).toThrow(
      new RegExp(
        `^Cannot encode a value nested deeper than 64 levels as ${format} at \\$\\[0\\]\\.k\\[0\\].*…\\(52 more\\): ` +
          "taskq's decoders refuse payloads nested deeper than that \\(MAX_DECODE_DEPTH\\)",
      ),
    );
  });

  it('never encodes what it then refuses to decode, Dates and bytes included', () => {
    for (const depth of [MAX_DECODE_DEPTH - 1, MAX_DECODE_DEPTH]) {
      for (const leaf of [new Date('2024-05-01T12:30:00Z'), Buffer.from('hi'), [], {}, null]) {
        let payload: Buffer;
        try {
          payload = serializer.encode(nest(depth, leaf));
        } catch (error) {
          expect(error).toBeInstanceOf(UnencodableValueError);
          continue;
        }
        expect(() => serializer.decode(payload)).not.toThrow();
      }
    }
  });
});

describe('json: kombu tags are levels on the wire', () => {
  const json = registry.get('json');

  it('writes a Date inside 63 containers but refuses one inside 64 (its tag would be level 65)', () => {
    const when = new Date('2024-05-01T12:30:00Z');
    expect(json.decode(json.encode(nest(MAX_DECODE_DEPTH - 1, when)))).toEqual(nest(MAX_DECODE_DEPTH - 1, when));
    expect(() => json.encode(nest(MAX_DECODE_DEPTH, when))).toThrow('Cannot encode a value nested deeper than 64 levels as JSON');
  });

  it('lets msgpack and YAML carry a Date inside 64 containers (there it is a scalar)', () => {
    const when = new Date('2024-05-01T12:30:00Z');
    for (const name of ['msgpack', 'yaml']) {
      const serializer = registry.get(name);
      expect(serializer.decode(serializer.encode(nest(MAX_DECODE_DEPTH, when)))).toEqual(nest(MAX_DECODE_DEPTH, when));
    }
  });
});
