import { SerializationError } from '../../../src/errors';
import { createMsgpackSerializer, UnencodableValueError } from '../../../src/serialization';

const msgpack = createMsgpackSerializer();
const roundTrip = (value: unknown): unknown => msgpack.decode(msgpack.encode(value));
const hex = (value: unknown): string => msgpack.encode(value).toString('hex');
const decodeHex = (source: string): unknown => msgpack.decode(Buffer.from(source.replace(/\s/g, ''), 'hex'));

describe('msgpack serializer: identity', () => {
  it('is application/x-msgpack, binary', () => {
    expect(msgpack.name).toBe('msgpack');
    expect(msgpack.contentType).toBe('application/x-msgpack');
    expect(msgpack.contentEncoding).toBe('binary');
  });
});

describe('msgpack serializer: round trips', () => {
  it('keeps nested objects, arrays, null, booleans, floats and unicode', () => {
    const value = { a: [1, -2.5, 0, null, true, false], b: { c: { d: 'Zoë 🚀 任务' } }, empty: {}, list: [] };
    const decoded = roundTrip(value);
    expect(decoded).toEqual(value);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  it('round-trips a Celery body', () => {
    const body = [[1, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }];
    expect(roundTrip(body)).toEqual(body);
  });

  it('keeps NaN and infinities (msgpack floats hold them)', () => {
    expect(roundTrip([NaN, Infinity, -Infinity])).toEqual([NaN, Infinity, -Infinity]);
  });

  it('round-trips Dates through the timestamp extension', () => {
    const when = new Date('2024-05-01T12:30:00.123Z');
    const decoded = roundTrip({ when }) as { when: Date };
    expect(decoded.when).toBeInstanceOf(Date);
    expect(decoded.when.getTime()).toBe(when.getTime());
    // ext 8 (d7) of type -1 (ff): the standard timestamp64 that Python reads as msgpack.Timestamp
    expect(hex(when).slice(0, 4)).toBe('d7ff');
  });

  it('round-trips Buffers as bin and returns copies that do not alias the payload', () => {
    const payload = msgpack.encode({ data: Buffer.from([0xde, 0xad]) });
    expect(payload.toString('hex')).toBe('81a464617461c402dead');
    const decoded = msgpack.decode(payload) as { data: Buffer };
    expect(Buffer.isBuffer(decoded.data)).toBe(true);
    payload[payload.length - 1] = 0x00;
    expect(decoded.data.toString('hex')).toBe('dead');
  });
});

describe('msgpack serializer: integers as Python expects them', () => {
  it('writes integers beyond 32 bits as msgpack integers, not float64 (Python would get a float)', () => {
    expect(hex(2 ** 40)).toBe('d30000010000000000');
    expect(hex(-(2 ** 40))).toBe('d3ffffff0000000000');
    expect(hex(4294967295)).toBe('ceffffffff');
    expect(hex(1.5)).toBe('cb3ff8000000000000');
    expect(roundTrip(2 ** 40)).toBe(2 ** 40);
    expect(roundTrip(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('decodes 64-bit integers to numbers when safe, exact bigints otherwise', () => {
    expect(decodeHex('cf 0000010000000000')).toBe(2 ** 40);
    expect(decodeHex('cf ffffffffffffffff')).toBe(2n ** 64n - 1n);
    expect(decodeHex('d3 8000000000000000')).toBe(-(2n ** 63n));
  });

  it('round-trips bigints across the int64/uint64 range', () => {
    expect(roundTrip([2n ** 63n, -(2n ** 63n), 7n])).toEqual([2n ** 63n, -(2n ** 63n), 7]);
  });

  it('refuses bigints beyond 64 bits with the path', () => {
    const encode = (): unknown => msgpack.encode({ big: 2n ** 64n });
    expect(encode).toThrow(UnencodableValueError);
    expect(encode).toThrow(
      'Cannot encode the bigint 18446744073709551616 as msgpack at $.big: MessagePack integers are limited to 64 bits',
    );
  });
});

describe('msgpack serializer: decoding what Python sends', () => {
  it('reads a timestamp32 (Python msgpack.Timestamp) as a Date', () => {
    const seconds = Date.UTC(2024, 4, 1, 12, 30) / 1000;
    const payload = Buffer.concat([Buffer.from('d6ff', 'hex'), Buffer.alloc(4)]);
    payload.writeUInt32BE(seconds, 2);
    expect((msgpack.decode(payload) as Date).toISOString()).toBe('2024-05-01T12:30:00.000Z');
  });

  it('turns int, bool and nil map keys into text keys, like json.dumps would', () => {
    // {1: 'a', True: 'b', None: 'c'}
    expect(decodeHex('83 01 a161 c3 a162 c0 a163')).toEqual({ '1': 'a', true: 'b', null: 'c' });
  });

  it('refuses map keys that cannot become object keys', () => {
    // {b'k': 1}
    expect(() => decodeHex('81 c4016b 01')).toThrow(
      'Cannot decode application/x-msgpack payload: a map key of type bin at $; only string, number, boolean and nil keys',
    );
  });

  it('reads raw str (Python without use_bin_type) as text', () => {
    expect(decodeHex('a3 616263')).toBe('abc');
  });
});

describe('msgpack serializer: non-standard extensions are refused', () => {
  // Payloads as msgpackr writes them with moreTypes/useRecords (hex captured from plain Node;
  // packing here would see jest's cross-realm typed arrays and write plain bin instead).
  it.each([
    ['Set', 'de0001a176 d473009101'],
    ['RegExp', 'de0001a176 d4780092a2612ba0'],
    ['Error', 'de0001a176 d4650093a54572726f72a178d40000'],
    ['Float64Array', 'de0001a176 c7097408000000000000f03f'],
  ])('refuses the msgpackr %s extension', (type, payload) => {
    expect(() => decodeHex(payload)).toThrow(
      `Cannot decode application/x-msgpack payload: a value of type ${type} at $.v; taskq accepts only standard MessagePack types`,
    );
  });

  it('refuses the record extension', () => {
    // [{a: 1}, {a: 2}] with useRecords: true
    expect(() => decodeHex('92 d4724091a16101 4002')).toThrow('a value of type record-extension object at $[0]');
  });

  it('refuses extension 0 (undefined) and unknown extension types', () => {
    expect(() => decodeHex('91 d40000')).toThrow('a value of type undefined at $[0]');
    expect(() => decodeHex('d5 05 0102')).toThrow('Unknown extension type 5');
  });

  it('refuses malformed timestamps', () => {
    expect(() => decodeHex('d4ff ff')).toThrow('a malformed timestamp at $');
  });
});

describe('msgpack serializer: encode semantics shared with json', () => {
  it('turns undefined into nil in arrays and leaves it out of maps (never extension 0)', () => {
    expect(hex([undefined])).toBe('91c0');
    expect(hex({ a: undefined, b: 1 })).toBe('81a16201');
    expect(hex(undefined)).toBe('c0');
  });

  it('refuses functions with their path', () => {
    expect(() => msgpack.encode([[1, { callback: () => 1 }]])).toThrow('Cannot encode a function as msgpack at $[0][1].callback');
  });

  it('refuses circular references instead of overflowing the stack', () => {
    const loop: unknown[] = [];
    loop.push(loop);
    expect(() => msgpack.encode(loop)).toThrow('Cannot encode a circular reference as msgpack at $[0]: it points back to $');
  });

  it('refuses Maps rather than changing their meaning', () => {
    expect(() => msgpack.encode(new Map())).toThrow('Cannot encode a Map as msgpack at $');
  });
});

describe('msgpack serializer: decode errors', () => {
  it.each([
    ['truncated', '92 01', 'Unexpected end of MessagePack data'],
    ['trailing bytes', '01 02', 'Data read, but end of buffer not reached'],
    ['empty', '', 'Cannot decode application/x-msgpack payload (0 bytes): it is empty.'],
  ])('refuses %s payloads', (_label, source, message) => {
    const decode = (): unknown => decodeHex(source);
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow(message);
  });

  it('refuses absurdly deep nesting with a SerializationError, not a stack overflow', () => {
    const depth = 200_000;
    const payload = Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]);
    const decode = (): unknown => msgpack.decode(payload);
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow('it is nested deeper than 64 levels');
  });
});
