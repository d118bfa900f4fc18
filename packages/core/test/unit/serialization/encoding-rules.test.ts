import { SerializationError } from '../../../src/errors';
import { createSerializerRegistry, MAX_DECODE_DEPTH, UnencodableValueError } from '../../../src/serialization';

const registry = createSerializerRegistry();
const formats = [
  ['json', 'JSON'],
  ['msgpack', 'msgpack'],
  ['yaml', 'YAML'],
] as const;

describe.each(formats)('%s encoder: rules shared by every format', (name, format) => {
  const serializer = registry.get(name);
  const roundTrip = (value: unknown): unknown => serializer.decode(serializer.encode(value));

  function encodeError(value: unknown): UnencodableValueError {
    try {
      serializer.encode(value);
    } catch (error) {
      if (error instanceof UnencodableValueError) return error;
      throw error;
    }
    throw new Error('expected encode to throw');
  }

  it('names the format and the path to a function', () => {
    const error = encodeError([[1, { callback: () => 1 }], {}, {}]);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.code).toBe('SERIALIZATION_FAILED');
    expect(error.format).toBe(format);
    expect(error.path).toEqual([0, 1, 'callback']);
    expect(error.message).toContain(`Cannot encode a function as ${format} at $[0][1].callback`);
  });

  it('refuses symbols, circular references and Sets', () => {
    expect(encodeError({ s: Symbol('x') }).message).toContain(`a symbol as ${format} at $.s`);
    const loop: Record<string, unknown> = {};
    loop.self = { again: loop };
    expect(encodeError(loop).message).toContain(`a circular reference as ${format} at $.self.again: it points back to $;`);
    expect(encodeError([new Set([1])]).message).toContain(`a Set as ${format} at $[0]`);
  });

  it('drops undefined properties and turns undefined array items into null', () => {
    expect(roundTrip({ a: undefined, b: [undefined, 1] })).toEqual({ b: [null, 1] });
  });

  it('uses toJSON() and encodes class instances as plain objects', () => {
    class Temperature {
      constructor(readonly celsius: number) {}
      toJSON(): { c: number } {
        return { c: this.celsius };
      }
    }
    class Pair {
      constructor(
        readonly left: string,
        readonly right: string,
      ) {}
    }
    expect(roundTrip({ t: new Temperature(21), p: new Pair('l', 'r') })).toEqual({ t: { c: 21 }, p: { left: 'l', right: 'r' } });
  });

  it('unwraps boxed primitives', () => {
    expect(roundTrip([new String('s'), new Number(2), new Boolean(false)])).toEqual(['s', 2, false]);
  });

  it("accepts nesting up to the decoders' limit, and refuses deeper values with their path", () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < MAX_DECODE_DEPTH; i++) deep = [deep];
    let decoded = roundTrip(deep);
    for (let i = 0; i < MAX_DECODE_DEPTH; i++) decoded = (decoded as unknown[])[0];
    expect(decoded).toBe('leaf');
    const error = encodeError({ deeper: deep });
    expect(error.path).toEqual(['deeper', ...Array<number>(MAX_DECODE_DEPTH - 1).fill(0)]);
    expect(error.message).toContain(`Cannot encode a value nested deeper than 64 levels as ${format} at $.deeper[0]`);
  });

  it('accepts objects with a null prototype', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(roundTrip(bare)).toEqual({ a: 1 });
  });
});
