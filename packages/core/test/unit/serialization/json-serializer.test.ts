import { SerializationError } from '../../../src/errors';
import { createJsonSerializer, UnencodableValueError } from '../../../src/serialization';

const json = createJsonSerializer();
const text = (value: unknown): string => json.encode(value).toString('utf8');
const decodeText = (source: string): unknown => json.decode(Buffer.from(source, 'utf8'));
const roundTrip = (value: unknown): unknown => json.decode(json.encode(value));

describe('json serializer: identity', () => {
  it('is application/json in utf-8', () => {
    expect(json.name).toBe('json');
    expect(json.contentType).toBe('application/json');
    expect(json.contentEncoding).toBe('utf-8');
  });
});

describe('json serializer: round trips', () => {
  it('keeps nested objects, arrays, null, booleans and numbers', () => {
    const value = { a: [1, -2.5, 0, null, true, false], b: { c: { d: 'e' } }, empty: {}, list: [] };
    expect(roundTrip(value)).toEqual(value);
  });

  it('keeps unicode text byte-exact', () => {
    const value = { name: 'Zoë', emoji: '🚀👩‍💻', cjk: '任务队列', rtl: 'مرحبا', nul: 'a\u0000b' };
    expect(roundTrip(value)).toEqual(value);
  });

  it('keeps the largest safe integers', () => {
    expect(roundTrip([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER])).toEqual([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);
  });

  it('round-trips a Celery body [args, kwargs, embed]', () => {
    const body = [[1, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }];
    expect(text(body)).toBe('[[1,2],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]');
    expect(roundTrip(body)).toEqual(body);
  });

  it('round-trips Dates to equal Dates, nested anywhere', () => {
    const when = new Date('2024-05-01T12:30:00.123Z');
    const decoded = roundTrip({ at: [when], top: when }) as { at: Date[]; top: Date };
    expect(decoded.top).toBeInstanceOf(Date);
    expect(decoded.top.getTime()).toBe(when.getTime());
    expect(decoded.at[0]?.getTime()).toBe(when.getTime());
  });

  it('round-trips Buffers, UTF-8 or not, and Uint8Arrays, to Buffers', () => {
    const utf8 = Buffer.from('héllo', 'utf8');
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const decoded = roundTrip([utf8, binary, new Uint8Array([1, 2, 3])]) as Buffer[];
    expect(Buffer.isBuffer(decoded[0])).toBe(true);
    expect(decoded[0]?.equals(utf8)).toBe(true);
    expect(decoded[1]?.equals(binary)).toBe(true);
    expect(decoded[2]?.equals(Buffer.from([1, 2, 3]))).toBe(true);
  });
});

describe('json serializer: encoding as kombu expects', () => {
  it("writes a Date as kombu's datetime tag in Python isoformat (+00:00, six fraction digits)", () => {
    expect(text(new Date('2024-05-01T12:30:00.123Z'))).toBe('{"__type__":"datetime","__value__":"2024-05-01T12:30:00.123000+00:00"}');
  });

  it('omits the fraction for whole seconds, as Python does', () => {
    expect(text(new Date('2024-05-01T12:30:00Z'))).toBe('{"__type__":"datetime","__value__":"2024-05-01T12:30:00+00:00"}');
  });

  it('pads years below 1000 to four digits', () => {
    const ancient = new Date(0);
    ancient.setUTCFullYear(99, 0, 2);
    expect(text(ancient)).toBe('{"__type__":"datetime","__value__":"0099-01-02T00:00:00+00:00"}');
  });

  it("writes Dates as plain ISO strings with dates: 'iso-string' (for kombu < 5.3)", () => {
    const iso = createJsonSerializer({ dates: 'iso-string' });
    expect(iso.encode([new Date('2024-05-01T12:30:00.123Z')]).toString()).toBe('["2024-05-01T12:30:00.123Z"]');
  });

  it('writes UTF-8 bytes as a bytes tag and other bytes as a base64 tag, like kombu', () => {
    expect(text(Buffer.from('hi'))).toBe('{"__type__":"bytes","__value__":"hi"}');
    expect(text(Buffer.from([0xff, 0x01]))).toBe('{"__type__":"base64","__value__":"/wE="}');
  });

  it('writes bigints as numbers, exact beyond 2^53 so Python reads an exact int', () => {
    expect(text([12n, 2n ** 64n, -(2n ** 70n)])).toBe('[12,18446744073709551616,-1180591620717411303424]');
  });

  it('leaves strings that merely resemble the bigint marker alone', () => {
    const value = { s: 'taskq-bigint-0000000000000000:5', n: 2n ** 60n };
    expect(text(value)).toBe('{"s":"taskq-bigint-0000000000000000:5","n":1152921504606846976}');
  });

  it('turns undefined into null in arrays and at the top level, and leaves it out of objects', () => {
    expect(text([1, undefined, 3])).toBe('[1,null,3]');
    expect(text({ a: 1, b: undefined, c: 3 })).toBe('{"a":1,"c":3}');
    expect(text(undefined)).toBe('null');
  });

  it('uses toJSON() and encodes class instances as their own properties', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON(): string {
        return `${this.cents / 100} EUR`;
      }
    }
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(text({ price: new Money(1250), at: new Point(1, 2) })).toBe('{"price":"12.5 EUR","at":{"x":1,"y":2}}');
  });

  it('does not alter the value it encodes', () => {
    const value = { when: new Date('2024-05-01T00:00:00Z'), gone: undefined, list: [undefined] };
    json.encode(value);
    expect(value.when).toBeInstanceOf(Date);
    expect('gone' in value).toBe(true);
    expect(value.list).toEqual([undefined]);
  });
});

describe('json serializer: encode errors', () => {
  function encodeError(value: unknown): UnencodableValueError {
    try {
      json.encode(value);
    } catch (error) {
      if (error instanceof UnencodableValueError) return error;
      throw error;
    }
    throw new Error('expected encode to throw');
  }

  it('names the path to a function, e.g. $[0][1].callback', () => {
    const error = encodeError([[1, { callback: () => 1 }], {}, {}]);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.code).toBe('SERIALIZATION_FAILED');
    expect(error.path).toEqual([0, 1, 'callback']);
    expect(error.message).toMatch(/^Cannot encode a function as JSON at \$\[0\]\[1\]\.callback: functions cannot travel/);
  });

  it('quotes keys that are not identifiers in the path', () => {
    expect(encodeError({ 'content-type': Symbol('x') }).message).toContain('a symbol as JSON at $["content-type"]');
  });

  it('refuses circular references and says where the cycle points back to', () => {
    const parent: { child: { parent?: unknown } } = { child: {} };
    parent.child.parent = parent;
    const error = encodeError({ root: parent });
    expect(error.path).toEqual(['root', 'child', 'parent']);
    expect(error.message).toContain('a circular reference as JSON at $.root.child.parent: it points back to $.root');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { id: 1 };
    expect(text([shared, shared])).toBe('[{"id":1},{"id":1}]');
  });

  it('refuses NaN and Infinity instead of silently writing null', () => {
    expect(encodeError({ x: NaN }).message).toContain('Cannot encode NaN as JSON at $.x: JSON has no NaN or Infinity');
    expect(encodeError([Infinity]).message).toContain('Cannot encode Infinity as JSON at $[0]');
  });

  it.each([
    ['Map', new Map([['a', 1]]), 'a Map', 'Object.fromEntries'],
    ['Set', new Set([1]), 'a Set', '[...set]'],
    ['Promise', Promise.resolve(1), 'a Promise', 'await it'],
    ['Error', new TypeError('boom'), 'an Error (TypeError)', '{ name, message }'],
    ['RegExp', /x/, 'a RegExp', 'source'],
    ['Float64Array', new Float64Array([1]), 'a Float64Array', 'Buffer.from'],
    ['ArrayBuffer', new ArrayBuffer(2), 'an ArrayBuffer', 'Buffer.from(arrayBuffer)'],
  ])('refuses a %s, which JSON.stringify would mangle silently', (_label, value, found, hint) => {
    const error = encodeError({ v: value });
    expect(error.message).toContain(`Cannot encode ${found} as JSON at $.v`);
    expect(error.message).toContain(hint);
  });

  it('refuses invalid Dates and years Python cannot hold', () => {
    expect(encodeError([new Date('nope')]).message).toContain('an invalid Date as JSON at $[0]');
    expect(encodeError(new Date('+010000-01-01T00:00:00Z')).message).toContain('years 1 to 9999');
  });

  it('reports a throwing getter with its path and cause', () => {
    const value = {
      get broken(): never {
        throw new Error('getter failed');
      },
    };
    const error = encodeError({ outer: value });
    expect(error.path).toEqual(['outer', 'broken']);
    expect(error.message).toContain('getter failed');
    expect((error.cause as Error).message).toBe('getter failed');
  });

  it('reports values nested too deeply to encode', () => {
    let deep: unknown[] = [];
    const root = deep;
    for (let i = 0; i < 20_000; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    expect(encodeError(root).message).toMatch(/a value nested deeper than 64 levels as JSON at \$\[0\]\[0\].*more\)/);
  });
});

describe('json serializer: decoding kombu type tags (as kombu 5.3 emits them)', () => {
  it.each([
    ['2024-05-01T12:30:00.123456+00:00', '2024-05-01T12:30:00.123Z'],
    ['2024-01-02T03:04:05.123456', '2024-01-02T03:04:05.123Z'],
    ['2024-01-02T03:04:05', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02T03:04:05.999999-02:00', '2024-01-02T05:04:05.999Z'],
    ['2024-01-02T03:04:05+05:30', '2024-01-01T21:34:05.000Z'],
    ['2024-01-02T03:04:05.5Z', '2024-01-02T03:04:05.500Z'],
    ['2024-02-29 00:00:00', '2024-02-29T00:00:00.000Z'],
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
  ])('datetime %s → Date %s (naive means UTC; microseconds truncated to ms)', (wire, iso) => {
    const decoded = decodeText(`{"__type__": "datetime", "__value__": "${wire}"}`);
    expect(decoded).toBeInstanceOf(Date);
    expect((decoded as Date).toISOString()).toBe(iso);
  });

  it('keeps two-digit years as such (Date.UTC would turn 99 into 1999)', () => {
    const decoded = decodeText('{"__type__": "datetime", "__value__": "0099-06-01T00:00:00"}') as Date;
    expect(decoded.getUTCFullYear()).toBe(99);
  });

  it('keeps date as a YYYY-MM-DD string, time as text, decimal as exact text', () => {
    expect(decodeText('{"__type__": "date", "__value__": "2024-05-01"}')).toBe('2024-05-01');
    expect(decodeText('{"__type__": "date", "__value__": "2024-05-01T23:00:00+02:00"}')).toBe('2024-05-01');
    expect(decodeText('{"__type__": "time", "__value__": "12:30:00.123456"}')).toBe('12:30:00.123456');
    expect(decodeText('{"__type__": "decimal", "__value__": "1.10"}')).toBe('1.10');
    expect(decodeText('{"__type__": "decimal", "__value__": "123456789012345678901234567890.000000001"}')).toBe(
      '123456789012345678901234567890.000000001',
    );
  });

  it('decodes uuid in the forms kombu 5.3.0, later 5.3.x and hand-written senders use', () => {
    const canonical = '0188bcbb-8475-7605-a094-fe41c58df798';
    expect(decodeText('{"__type__": "uuid", "__value__": {"hex": "0188bcbb84757605a094fe41c58df798", "version": 7}}')).toBe(canonical);
    expect(decodeText('{"__type__": "uuid", "__value__": {"hex": "0188BCBB84757605A094FE41C58DF798"}}')).toBe(canonical);
    expect(decodeText(`{"__type__": "uuid", "__value__": "urn:uuid:{${canonical}}"}`)).toBe(canonical);
  });

  it('decodes bytes (UTF-8 text) and base64 tags to Buffers', () => {
    const bytes = decodeText('{"__type__": "bytes", "__value__": "h\\u00e9"}');
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect((bytes as Buffer).equals(Buffer.from('hé', 'utf8'))).toBe(true);
    expect((decodeText('{"__type__": "base64", "__value__": "/wE="}') as Buffer).equals(Buffer.from([0xff, 0x01]))).toBe(true);
  });

  it('revives tags nested in a Celery body', () => {
    const body = decodeText(
      '[[{"__type__": "decimal", "__value__": "9.99"}], {"when": {"__type__": "datetime", "__value__": "2024-05-01T00:00:00"}}, ' +
        '{"callbacks": null, "errbacks": null, "chain": null, "chord": null}]',
    ) as [unknown[], { when: Date }, unknown];
    expect(body[0]).toEqual(['9.99']);
    expect(body[1].when.toISOString()).toBe('2024-05-01T00:00:00.000Z');
  });

  it('leaves unknown tags and look-alike objects as plain objects, constructing nothing', () => {
    expect(decodeText('{"__type__": "os.system", "__value__": "rm -rf /"}')).toEqual({
      __type__: 'os.system',
      __value__: 'rm -rf /',
    });
    expect(decodeText('{"__type__": "datetime", "__value__": "2024-05-01", "extra": 1}')).toEqual({
      __type__: 'datetime',
      __value__: '2024-05-01',
      extra: 1,
    });
    expect(decodeText('{"__type__": "datetime"}')).toEqual({ __type__: 'datetime' });
  });

  it.each([
    ['datetime', '"yesterday"', "'yesterday', expected an ISO 8601 date-time"],
    ['datetime', '"2024-13-01T00:00:00"', "'2024-13-01T00:00:00'"],
    ['datetime', '"2023-02-29T00:00:00"', "'2023-02-29T00:00:00'"],
    ['datetime', '1714566600', '__value__ number'],
    ['date', '"05/01/2024"', 'expected an ISO 8601 date'],
    ['decimal', '1.1', "expected a decimal string such as '1.10'"],
    ['uuid', '{"hex": "xyz"}', 'expected an object {"hex": "<32 hex digits>"}'],
    ['bytes', 'null', '__value__ object, expected a string'],
    ['base64', '"not base64!"', 'expected a base64 string'],
  ])('refuses a malformed %s tag with __value__ %s', (type, value, expected) => {
    const decode = (): unknown => decodeText(`{"__type__": "${type}", "__value__": ${value}}`);
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow(`kombu type tag '${type}'`);
    expect(decode).toThrow(expected);
  });
});

describe('json serializer: decode errors', () => {
  it('refuses invalid JSON with the parser message', () => {
    const decode = (): unknown => decodeText('{"a": }');
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow(/^Cannot decode application\/json payload \(7 bytes\): Unexpected token/);
  });

  it("refuses Python's non-standard NaN token", () => {
    expect(() => decodeText('[NaN]')).toThrow(/Cannot decode application\/json payload/);
  });

  it('refuses empty payloads and invalid UTF-8', () => {
    expect(() => json.decode(Buffer.alloc(0))).toThrow('Cannot decode application/json payload (0 bytes): it is empty.');
    expect(() => json.decode(Buffer.from([0x22, 0xff, 0x22]))).toThrow('it is not valid UTF-8');
  });

  it('uses code SERIALIZATION_FAILED', () => {
    try {
      decodeText('nope');
      throw new Error('expected decode to throw');
    } catch (error) {
      expect((error as SerializationError).code).toBe('SERIALIZATION_FAILED');
    }
  });

  it('refuses absurdly deep nesting with a SerializationError, not a stack overflow', () => {
    const depth = 200_000;
    const decode = (): unknown => decodeText(`${'['.repeat(depth)}{"__type__": "x"}${']'.repeat(depth)}`);
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow('it is nested deeper than 64 levels');
  });
});
