import { SerializationError } from '../../../src/errors';
import { createYamlSerializer } from '../../../src/serialization';

const yaml = createYamlSerializer();
const text = (value: unknown): string => yaml.encode(value).toString('utf8');
const decodeText = (source: string): unknown => yaml.decode(Buffer.from(source, 'utf8'));
const roundTrip = (value: unknown): unknown => yaml.decode(yaml.encode(value));

describe('yaml serializer: identity', () => {
  it('is application/x-yaml in utf-8', () => {
    expect(yaml.name).toBe('yaml');
    expect(yaml.contentType).toBe('application/x-yaml');
    expect(yaml.contentEncoding).toBe('utf-8');
  });
});

describe('yaml serializer: round trips', () => {
  it('keeps nested objects, arrays, null, booleans, numbers and unicode', () => {
    const value = {
      a: [1, -2.5, 0, null, true, false],
      b: { c: { d: 'Zoë 🚀 任务' } },
      multiline: 'line 1\nline 2',
      empty: {},
      list: [],
      big: Number.MAX_SAFE_INTEGER,
    };
    expect(roundTrip(value)).toEqual(value);
  });

  it('round-trips a Celery body', () => {
    const body = [[1, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }];
    expect(roundTrip(body)).toEqual(body);
  });

  it('keeps strings that YAML 1.1 (PyYAML) would misread, by quoting them', () => {
    const tricky = ['yes', 'on', 'n', 'null', '~', '1:20', '0o17', '1_000', '2024-05-01', '.inf', '12'];
    const encoded = text(tricky);
    for (const item of tricky) expect(encoded).toContain(`"${item}"`);
    expect(roundTrip(tricky)).toEqual(tricky);
  });

  it('round-trips Buffers through !!binary (Python bytes)', () => {
    const data = Buffer.from([0xff, 0x00, 0x41]);
    expect(text({ data })).toBe('data: !!binary |-\n  /wBB\n');
    const decoded = roundTrip({ data }) as { data: Buffer };
    expect(Buffer.isBuffer(decoded.data)).toBe(true);
    expect(decoded.data.equals(data)).toBe(true);
  });

  it('writes Dates as unquoted timestamps (a datetime for PyYAML) and reads them back as Dates', () => {
    const when = new Date('2024-05-01T12:30:00.123Z');
    expect(text({ when })).toBe('when: 2024-05-01T12:30:00.123Z\n');
    expect(roundTrip({ when })).toEqual({ when });
  });

  it('keeps strings that look like timestamps as strings', () => {
    expect(text({ s: '2024-05-01' })).toBe('s: "2024-05-01"\n');
    expect(roundTrip({ s: '2024-05-01T12:30:00Z' })).toEqual({ s: '2024-05-01T12:30:00Z' });
  });

  it('writes bigints as exact integer literals', () => {
    expect(text([2n ** 64n])).toBe('- 18446744073709551616\n');
  });

  it('keeps NaN and infinities', () => {
    expect(roundTrip([NaN, Infinity, -Infinity])).toEqual([NaN, Infinity, -Infinity]);
  });

  it('writes a shared object twice instead of using aliases', () => {
    const shared = { id: 1 };
    const encoded = text([shared, shared]);
    expect(encoded).not.toMatch(/[&*]a\d/);
    expect(yaml.decode(Buffer.from(encoded))).toEqual([{ id: 1 }, { id: 1 }]);
  });

  it('applies the shared encode rules (undefined, functions with paths)', () => {
    expect(text({ a: undefined, b: [undefined] })).toBe('b:\n  - null\n');
    expect(() => yaml.encode({ job: { run: () => 1 } })).toThrow('Cannot encode a function as YAML at $.job.run');
  });
});

describe('yaml serializer: decoding what PyYAML safe_dump writes', () => {
  it('reads block style, quoted keys and !!binary', () => {
    const source = "- - 1\n  - 2\n- {}\n- callbacks: null\n  'yes': true\n  data: !!binary |\n    aGVsbG8=\n";
    const decoded = decodeText(source) as [number[], object, { callbacks: null; yes: boolean; data: Buffer }];
    expect(decoded[0]).toEqual([1, 2]);
    expect(decoded[2].yes).toBe(true);
    expect(decoded[2].data.toString()).toBe('hello');
  });

  it('reads PyYAML datetimes and dates as Dates (naive means UTC)', () => {
    expect(decodeText('at: 2024-05-01 12:30:00.123456\n')).toEqual({ at: new Date('2024-05-01T12:30:00.123Z') });
    expect(decodeText('at: 2024-05-01 12:30:00+02:00\n')).toEqual({ at: new Date('2024-05-01T10:30:00.000Z') });
    expect(decodeText('on: 2024-05-01\n')).toEqual({ on: new Date('2024-05-01T00:00:00.000Z') });
    expect(decodeText("s: '2024-05-01'\n")).toEqual({ s: '2024-05-01' });
  });

  it('reads scalar keys ({1: ..., None: ...} in Python) as text keys', () => {
    expect(decodeText('1: a\nnull: b\ntrue: c\n')).toEqual({ '1': 'a', null: 'b', true: 'c' });
  });

  it('reads an empty document (only a comment) as null, like PyYAML', () => {
    expect(decodeText('# nothing here\n')).toBeNull();
  });
});

describe('yaml serializer: unsafe or unsupported input is refused', () => {
  it.each([
    ['!!python/object/apply:os.system ["touch /tmp/taskq-pwned"]', 'tag:yaml.org,2002:python/object/apply:os.system'],
    ['!!python/name:os.system', 'tag:yaml.org,2002:python/name:os.system'],
    ['x: !!python/object:__main__.Exploit {cmd: id}', 'tag:yaml.org,2002:python/object:__main__.Exploit'],
    ['s: !!set {a: null}', 'tag:yaml.org,2002:set'],
    ['x: !custom value', '!custom'],
  ])('refuses %s without constructing anything', (source, tag) => {
    const decode = (): unknown => decodeText(source);
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow(`Unresolved tag: ${tag} at line 1`);
    expect(decode).toThrow('Only core-schema values, !!binary and !!timestamp are accepted');
  });

  it('stops a billion-laughs document quickly', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) {
      const previous = `*${names[i - 1]}`;
      lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(previous).join(',')}]`);
    }
    const started = Date.now();
    const decode = (): unknown => decodeText(lines.join('\n'));
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow(/Excessive alias count/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses duplicate keys, several documents, complex keys and bad syntax', () => {
    expect(() => decodeText('a: 1\na: 2\n')).toThrow('Map keys must be unique');
    expect(() => decodeText('--- 1\n--- 2\n')).toThrow('it holds 2 YAML documents; a message body is one.');
    expect(() => decodeText('? [1, 2]\n: 3\n')).toThrow('all keys must be strings at line 1');
    expect(() => decodeText('a: [1, 2\n')).toThrow(/^Cannot decode application\/x-yaml payload \(9 bytes\): /);
  });

  it('treats << as a plain key (no merge)', () => {
    expect(decodeText('base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n')).toEqual({ base: { x: 1 }, child: { '<<': { x: 1 }, y: 2 } });
  });

  it('refuses empty payloads and invalid UTF-8', () => {
    expect(() => yaml.decode(Buffer.alloc(0))).toThrow('Cannot decode application/x-yaml payload (0 bytes): it is empty.');
    expect(() => yaml.decode(Buffer.from([0x61, 0x3a, 0x20, 0xff]))).toThrow('it is not valid UTF-8');
  });
});
