import { createSerializerRegistry, type Serializer } from '../../../src/serialization';

const registry = createSerializerRegistry();

// The same hostile documents, written natively for each format.
const payloads: Record<string, { flat: Buffer; nested: Buffer }> = {
  json: {
    flat: Buffer.from('{"__proto__": {"polluted": true}, "a": 1}'),
    nested: Buffer.from('[{"x": {"__proto__": {"polluted": true}, "b": 2}}]'),
  },
  msgpack: {
    // {"__proto__": {"polluted": true}, "a": 1}
    flat: Buffer.from('82a95f5f70726f746f5f5f81a8706f6c6c75746564c3a16101', 'hex'),
    // [{"x": {"__proto__": {"polluted": true}, "b": 2}}]
    nested: Buffer.from('9181a17882a95f5f70726f746f5f5f81a8706f6c6c75746564c3a16202', 'hex'),
  },
  yaml: {
    flat: Buffer.from('__proto__: {polluted: true}\na: 1\n'),
    nested: Buffer.from('- x:\n    __proto__:\n      polluted: true\n    b: 2\n'),
  },
};

afterEach(() => {
  // Clean up if a test ever did pollute, so one failure does not cascade.
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe.each(['json', 'msgpack', 'yaml'])('%s decoder: prototype pollution', (name) => {
  const serializer: Serializer = registry.get(name);
  const { flat, nested } = payloads[name]!;

  it('drops a top-level __proto__ key and keeps the rest', () => {
    const decoded = serializer.decode(flat) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.hasOwn(decoded, '__proto__')).toBe(false);
    expect(Object.keys(decoded)).toEqual(['a']);
    expect(decoded.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops nested __proto__ keys', () => {
    const decoded = serializer.decode(nested) as Array<{ x: Record<string, unknown> }>;
    const inner = decoded[0]!.x;
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect(Object.hasOwn(inner, '__proto__')).toBe(false);
    expect(inner).toEqual({ b: 2 });
  });

  it('stays harmless when merged with Object.assign or spread', () => {
    const decoded = serializer.decode(flat) as Record<string, unknown>;
    const assigned = Object.assign({}, decoded) as Record<string, unknown>;
    const spread = { ...decoded };
    expect(Object.getPrototypeOf(assigned)).toBe(Object.prototype);
    expect(assigned.polluted).toBeUndefined();
    expect((spread as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('json decoder: escaped and constructor-shaped keys', () => {
  const json = registry.get('json');

  it('drops __proto__ written with \\u escapes', () => {
    const decoded = json.decode(Buffer.from('{"\\u005f\\u005fproto\\u005f\\u005f": {"polluted": true}, "a": 1}')) as object;
    expect(Object.hasOwn(decoded, '__proto__')).toBe(false);
    expect(decoded).toEqual({ a: 1 });
  });

  it('keeps constructor/prototype keys as inert own data, leaving real prototypes intact', () => {
    const decoded = json.decode(Buffer.from('{"constructor": {"prototype": {"polluted": true}}}')) as Record<string, unknown>;
    expect(Object.hasOwn(decoded, 'constructor')).toBe(true);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect({}.constructor).toBe(Object);
  });
});

describe('encoders keep an own __proto__ key as data', () => {
  it.each(['json', 'msgpack', 'yaml'])("%s writes it without touching the copy's prototype", (name) => {
    // JSON.parse makes an own __proto__ property; the encoder's copy (forced here by the Date)
    // must not turn it into a prototype.
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    value.when = new Date(0);
    const encoded = registry
      .get(name)
      .encode(value)
      .toString(name === 'msgpack' ? 'hex' : 'utf8');
    const key = name === 'msgpack' ? Buffer.from('__proto__').toString('hex') : '__proto__';
    expect(encoded).toContain(key);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
