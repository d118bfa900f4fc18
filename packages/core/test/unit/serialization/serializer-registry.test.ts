import { ContentTypeRejectedError, TaskqError } from '../../../src/errors';
import { createSerializerRegistry, SerializerRegistry, type Serializer } from '../../../src/serialization';

function custom(overrides: Partial<Serializer> = {}): Serializer {
  return {
    name: 'csv',
    contentType: 'text/csv',
    contentEncoding: 'utf-8',
    encode: (value) => Buffer.from(String(value)),
    decode: (payload) => payload.toString(),
    ...overrides,
  };
}

/** Runs `fn`, expecting a TaskqError; returns it for code and message checks. */
function caught(fn: () => unknown): TaskqError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TaskqError) return error;
    throw error;
  }
  throw new Error('expected a TaskqError');
}

describe('createSerializerRegistry', () => {
  it('comes with json, msgpack and yaml', () => {
    const registry = createSerializerRegistry();
    expect(registry.names()).toEqual(['json', 'msgpack', 'yaml']);
    expect(registry.get('json').contentType).toBe('application/json');
    expect(registry.get('msgpack').contentType).toBe('application/x-msgpack');
    expect(registry.get('yaml').contentType).toBe('application/x-yaml');
    expect(registry.has('json')).toBe(true);
    expect(registry.has('pickle')).toBe(false);
  });

  it('gives each registry its own table', () => {
    const a = createSerializerRegistry().register(custom());
    expect(a.has('csv')).toBe(true);
    expect(createSerializerRegistry().has('csv')).toBe(false);
  });
});

describe('SerializerRegistry.get', () => {
  it('explains an unknown name and lists what is registered', () => {
    const error = caught(() => createSerializerRegistry().get('x'));
    expect(error.code).toBe('UNKNOWN_SERIALIZER');
    expect(error.message).toBe(
      "Unknown serializer 'x': registered are json, msgpack, yaml. Register it with app.serializers.register({...})",
    );
  });

  it('refuses pickle with the reason', () => {
    const error = caught(() => createSerializerRegistry().get('pickle'));
    expect(error.code).toBe('SERIALIZER_FORBIDDEN');
    expect(error.message).toContain('run arbitrary code');
  });

  it('says (none) for an empty registry', () => {
    expect(caught(() => new SerializerRegistry().get('json')).message).toContain('registered are (none)');
  });
});

describe('SerializerRegistry.byContentType', () => {
  const registry = createSerializerRegistry();

  it('matches case-insensitively and ignores parameters', () => {
    expect(registry.byContentType('application/json')?.name).toBe('json');
    expect(registry.byContentType('Application/JSON; charset=utf-8')?.name).toBe('json');
    expect(registry.byContentType(' application/x-msgpack ')?.name).toBe('msgpack');
  });

  it('returns undefined for unregistered content types, pickle included', () => {
    expect(registry.byContentType('text/plain')).toBeUndefined();
    expect(registry.byContentType('application/x-python-serialize')).toBeUndefined();
  });
});

describe('SerializerRegistry.register', () => {
  it('adds a custom serializer, chainable, findable by name and content type', () => {
    const csv = custom();
    const registry = createSerializerRegistry();
    expect(registry.register(csv)).toBe(registry);
    expect(registry.get('csv')).toBe(csv);
    expect(registry.byContentType('TEXT/CSV')).toBe(csv);
    expect(registry.names()).toEqual(['json', 'msgpack', 'yaml', 'csv']);
  });

  it('replaces a serializer registered under the same name', () => {
    const registry = createSerializerRegistry();
    const mine = custom({ name: 'json', contentType: 'application/json' });
    registry.register(mine);
    expect(registry.get('json')).toBe(mine);
    expect(registry.byContentType('application/json')).toBe(mine);
    expect(registry.names()).toEqual(['json', 'msgpack', 'yaml']);
  });

  it('frees the old content type when a replacement changes it', () => {
    const registry = createSerializerRegistry().register(custom());
    registry.register(custom({ contentType: 'text/tab-separated-values' }));
    expect(registry.byContentType('text/csv')).toBeUndefined();
    expect(registry.byContentType('text/tab-separated-values')?.name).toBe('csv');
    expect(() => registry.register(custom({ name: 'other', contentType: 'text/csv' }))).not.toThrow();
  });

  it('refuses a content type already used by another name', () => {
    const error = caught(() => createSerializerRegistry().register(custom({ name: 'fastjson', contentType: 'application/json' })));
    expect(error.code).toBe('SERIALIZER_CONFLICT');
    expect(error.message).toContain("Cannot register serializer 'fastjson': content type 'application/json' is already used by 'json'");
    expect(error.message).toContain("Re-register 'json' to replace it");
  });

  it.each([
    ['name pickle', { name: 'pickle' }],
    ['name PICKLE', { name: 'PICKLE' }],
    ['the python-serialize content type', { name: 'safe', contentType: 'application/x-python-serialize' }],
  ])('refuses %s, saying it allows code execution', (_label, overrides) => {
    const error = caught(() => createSerializerRegistry().register(custom(overrides)));
    expect(error.code).toBe('SERIALIZER_FORBIDDEN');
    expect(error.message).toMatch(/is refused: pickle lets the sender run arbitrary code/);
  });

  it.each([
    ['null', null, 'Cannot register serializer: expected an object, got null'],
    ['a string', 'json', 'expected an object, got string'],
    ['a missing name', custom({ name: undefined as unknown as string }), "'name' must be a non-empty string"],
    ['a name with /', custom({ name: 'a/b' }), "serializer 'a/b': 'name' must be a non-empty string without '/'"],
    ['an empty name', custom({ name: '' }), "(got '')"],
    ['a missing contentType', custom({ contentType: undefined as unknown as string }), "'contentType' must be a bare"],
    ['a contentType with parameters', custom({ contentType: 'text/csv; charset=utf-8' }), 'without parameters'],
    ['an upper-case contentType', custom({ contentType: 'Text/CSV' }), "(got 'Text/CSV')"],
    ['a contentType without /', custom({ contentType: 'csv' }), "'contentType' must be a bare lower-case media type"],
    [
      'a numeric contentEncoding',
      custom({ contentEncoding: 8 as unknown as string }),
      "'contentEncoding' must be a non-empty string such as 'utf-8' or 'binary' (got number)",
    ],
    [
      'a missing encode',
      custom({ encode: undefined as unknown as Serializer['encode'] }),
      "serializer 'csv': 'encode' must be a function (got undefined)",
    ],
    ['a non-function decode', custom({ decode: 'x' as unknown as Serializer['decode'] }), "'decode' must be a function (got 'x')"],
  ])('refuses %s with SERIALIZER_INVALID naming the field', (_label, candidate, expected) => {
    const error = caught(() => new SerializerRegistry().register(candidate as Serializer));
    expect(error.code).toBe('SERIALIZER_INVALID');
    expect(error.message).toContain(expected);
    expect(error.message).toContain('A serializer is { name, contentType, contentEncoding, encode(value) => Buffer');
  });

  it('leaves the registry unchanged after a refused registration', () => {
    const registry = createSerializerRegistry();
    expect(() => registry.register(custom({ decode: undefined as unknown as Serializer['decode'] }))).toThrow();
    expect(registry.has('csv')).toBe(false);
    expect(registry.byContentType('text/csv')).toBeUndefined();
  });
});

describe('SerializerRegistry.acceptList', () => {
  const registry = createSerializerRegistry();

  it('resolves names and content types to normalized, de-duplicated content types', () => {
    const accept = registry.acceptList(['json', 'application/JSON', 'application/x-msgpack; charset=binary']);
    expect(accept.contentTypes).toEqual(['application/json', 'application/x-msgpack']);
  });

  it('returns the serializer for accepted content types, with parameters or odd case', () => {
    const accept = registry.acceptList(['json', 'yaml']);
    expect(accept.check('application/json').name).toBe('json');
    expect(accept.check('application/json; charset=utf-8').name).toBe('json');
    expect(accept.check('APPLICATION/X-YAML').name).toBe('yaml');
  });

  it('reads a missing or empty content type as application/json', () => {
    const accept = registry.acceptList(['json']);
    expect(accept.check(undefined).name).toBe('json');
    expect(accept.check('').name).toBe('json');
  });

  it('rejects a missing content type when json is not accepted, saying so', () => {
    const accept = registry.acceptList(['msgpack']);
    const check = (): unknown => accept.check(undefined);
    expect(check).toThrow(ContentTypeRejectedError);
    expect(check).toThrow(
      "Refusing message with content type 'application/json (the message had no content type)': accepted are application/x-msgpack (msgpack).",
    );
  });

  it('rejects content types outside the list with CONTENT_TYPE_REJECTED', () => {
    const accept = registry.acceptList(['json']);
    const error = caught(() => accept.check('application/x-yaml'));
    expect(error).toBeInstanceOf(ContentTypeRejectedError);
    expect(error.code).toBe('CONTENT_TYPE_REJECTED');
    expect((error as ContentTypeRejectedError).contentType).toBe('application/x-yaml');
    expect(error.message).toContain('accepted are application/json (json)');
  });

  it('rejects pickle messages', () => {
    const accept = registry.acceptList(['json', 'msgpack', 'yaml']);
    expect(() => accept.check('application/x-python-serialize')).toThrow(ContentTypeRejectedError);
  });

  it('uses a serializer re-registered under the same name and content type', () => {
    const local = createSerializerRegistry();
    const accept = local.acceptList(['json']);
    const mine = custom({ name: 'json', contentType: 'application/json' });
    local.register(mine);
    expect(accept.check('application/json')).toBe(mine);
  });

  it.each([
    [['pickle'], 'SERIALIZER_FORBIDDEN', "Accept list entry 'pickle' is refused: pickle lets the sender run arbitrary code"],
    [['json', 'application/x-python-serialize'], 'SERIALIZER_FORBIDDEN', "'application/x-python-serialize' is refused"],
    [['json', 'bson'], 'UNKNOWN_SERIALIZER', "Unknown serializer 'bson': registered are json, msgpack, yaml"],
    [['text/csv'], 'UNKNOWN_SERIALIZER', "Unknown content type 'text/csv' in the accept list"],
    [[], 'ACCEPT_LIST_INVALID', 'The accept list is empty, so every message would be rejected'],
    [['json', 42], 'ACCEPT_LIST_INVALID', 'Invalid accept list entry 42'],
    [['  '], 'ACCEPT_LIST_INVALID', 'Invalid accept list entry "  "'],
  ])('refuses %j with %s', (accept, code, message) => {
    const error = caught(() => registry.acceptList(accept as string[]));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  it('lists the registered content types when one is unknown', () => {
    expect(caught(() => registry.acceptList(['text/csv'])).message).toContain(
      'registered are application/json (json), application/x-msgpack (msgpack), application/x-yaml (yaml)',
    );
  });
});
